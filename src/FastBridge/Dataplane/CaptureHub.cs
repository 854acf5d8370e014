using FastBridge.Capture;

namespace FastBridge.Dataplane;

/// <summary>
/// The captures running on a bridge: attaching one gives each worker its tap (its ring and the filter), detaching it
/// takes them back and returns once no worker can still be writing into them.
/// </summary>
/// <remarks>
/// Why not in the <see cref="DataplaneView"/>: a capture changes no switching decision, and starting one must not
/// rebuild the view (flood lists, policies). Each worker holds an immutable array of its taps, replaced whole, read
/// once per burst; null when no capture runs, which is the one branch the frame path pays then.
/// Thread-safety: attach and detach are serialized by a private lock (control threads only; workers never take it).
/// <see cref="Detach"/> waits for a quiescent point of every running worker, so a detached capture's counts are
/// final and its rings are no longer written.
/// </remarks>
internal sealed class CaptureHub(Worker[] workers)
{
    private readonly Lock _lock = new();
    private readonly List<CaptureSession> _sessions = [];

    /// <summary>Captures running now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _sessions.Count;
            }
        }
    }

    public int Workers => workers.Length;

    public void Attach(CaptureSession session)
    {
        if (session.Taps.Length != workers.Length)
        {
            throw new ArgumentException("A capture needs one tap per worker.", nameof(session));
        }

        lock (_lock)
        {
            _sessions.Add(session);
            Publish();
        }
    }

    /// <summary>Takes <paramref name="session"/>'s taps from the workers; returns once none of them writes into it.</summary>
    public void Detach(CaptureSession session)
    {
        lock (_lock)
        {
            if (_sessions.Remove(session))
            {
                Publish();
            }
        }
    }

    private void Publish()
    {
        for (int w = 0; w < workers.Length; w++)
        {
            CaptureTap[]? taps = null;
            if (_sessions.Count > 0)
            {
                taps = new CaptureTap[_sessions.Count];
                for (int s = 0; s < taps.Length; s++)
                {
                    taps[s] = _sessions[s].Taps[w];
                }
            }

            workers[w].UseCaptures(taps);
        }

        DataplaneView.WaitForQuiescentPoint(workers);
    }
}
