namespace FastBridge.Dataplane;

internal sealed partial class Worker
{
    /// <summary>Applies queued port additions and removals (worker thread, between passes).</summary>
    private void ApplyCommands()
    {
        while (_commands.TryDequeue(out WorkerCommand? command))
        {
            if (command.Kind == WorkerCommandKind.Add)
            {
                AddOwned(command.Slot);
            }
            else
            {
                RemoveOwned(command.Slot);
            }

            command.Done.Set();
        }
    }

    private void AddOwned(PortSlot slot)
    {
        var owned = new PortSlot[_owned.Length + 1];
        var polled = new bool[owned.Length];
        _owned.CopyTo(owned, 0);
        _polled.CopyTo(polled, 0);
        owned[^1] = slot;
        int fd = slot.Port.PollFd;
        if (fd >= 0)
        {
            _epoll.Add(fd, slot.Id);
            polled[^1] = true;
        }

        _owned = owned;
        _polled = polled;
        slot.Port.BindReceive();
    }

    private void RemoveOwned(PortSlot slot)
    {
        int at = Array.IndexOf(_owned, slot);
        if (at < 0)
        {
            return;
        }

        StopPolling(at);
        slot.Port.UnbindReceive(); // reads armed in this worker's ring are cancelled and their buffers returned
        var owned = new PortSlot[_owned.Length - 1];
        var polled = new bool[owned.Length];
        for (int i = 0, j = 0; i < _owned.Length; i++)
        {
            if (i != at)
            {
                owned[j] = _owned[i];
                polled[j] = _polled[i];
                j++;
            }
        }

        _owned = owned;
        _polled = polled;
    }
}
