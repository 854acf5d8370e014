namespace FastBridge.Control;

/// <summary>
/// A connection's request budget: a token bucket of <see cref="ControlServerOptions.RequestsPerSecond"/> a second,
/// as many in a burst.
/// </summary>
/// <remarks>
/// Design: its own small type on an injected <see cref="TimeProvider"/>, so that the fuzz target (tests/fuzz,
/// <c>control</c>) runs the same limit on a clock that moves by a fixed step per request: deterministic, no live time.
/// Thread-safety: one caller at a time (a connection's process loop).
/// </remarks>
internal sealed class ControlRateLimit
{
    private readonly int _perSecond;
    private readonly TimeProvider _time;
    private double _tokens;
    private long _refilledAt;

    public ControlRateLimit(int perSecond, TimeProvider time)
    {
        _perSecond = perSecond;
        _time = time;
        _tokens = perSecond;
        _refilledAt = time.GetTimestamp();
    }

    /// <summary>Takes one token; false when the bucket is empty (the request gets a rate-limit error).</summary>
    public bool TryTake()
    {
        long now = _time.GetTimestamp();
        _tokens = Math.Min(_perSecond, _tokens + (_time.GetElapsedTime(_refilledAt, now).TotalSeconds * _perSecond));
        _refilledAt = now;
        if (_tokens < 1)
        {
            return false;
        }

        _tokens--;
        return true;
    }

    /// <summary>The error a request beyond the budget gets.</summary>
    public ControlResponse Refusal() =>
        ControlResponse.Failure($"rate limit: more than {_perSecond} requests a second on this connection; slow down");
}
