using System.Threading.Tasks.Sources;

namespace FastBridge.Ports.QemuSocket;

/// <summary>
/// An auto-reset signal one async loop awaits and any thread sets, without allocating on either side: the dataplane
/// worker sets it to wake a stream port's writer (or reader), so it must cost the worker no allocation.
/// </summary>
/// <remarks>
/// Why not SemaphoreSlim: releasing one with an async waiter queues the waiter's continuation through a new
/// AwaitTaskContinuation, 32 bytes on the releasing thread each time (StreamPortAllocationTests saw them on the
/// worker). Here the waiter is a reusable <see cref="ManualResetValueTaskSourceCore{TResult}"/> that runs continuations
/// asynchronously; an async method awaiting it queues its own state machine box to the thread pool, which allocates
/// nothing. State: 0 idle, 1 a waiter is parked, 2 set while nobody waited (the next wait returns at once).
/// Thread-safety: one waiter at a time (the loop that owns it); <see cref="Set"/> from any thread.
/// </remarks>
internal sealed class AsyncSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Completes when <see cref="Set"/> is called (or at once if it was called since the last wait).</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, 0, 2) == 2)
        {
            return ValueTask.CompletedTask;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, 1, 0) == 2)
        {
            Volatile.Write(ref _state, 0); // set between the two steps: consume it
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>Wakes the waiter, or leaves the signal set for the next wait.</summary>
    public void Set()
    {
        while (true)
        {
            int state = Volatile.Read(ref _state);
            if (state == 1)
            {
                if (Interlocked.CompareExchange(ref _state, 0, 1) == 1)
                {
                    _core.SetResult(true);
                    return;
                }
            }
            else if (state == 2 || Interlocked.CompareExchange(ref _state, 2, 0) == 0)
            {
                return;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
