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
                AddOwned(command.Slot, command.Queue);
            }
            else
            {
                RemoveOwned(command.Slot, command.Queue);
            }

            command.Done.Set();
        }
    }

    private void AddOwned(PortSlot slot, int queue)
    {
        var owned = new PortSlot[_owned.Length + 1];
        var queues = new int[owned.Length];
        var polled = new bool[owned.Length];
        _owned.CopyTo(owned, 0);
        _ownedQueue.CopyTo(queues, 0);
        _polled.CopyTo(polled, 0);
        owned[^1] = slot;
        queues[^1] = queue;
        int fd = slot.Port.QueuePollFd(queue);
        if (fd >= 0)
        {
            _epoll.Add(fd, slot.Id);
            polled[^1] = true;
        }

        _owned = owned;
        _ownedQueue = queues;
        _polled = polled;
        slot.Port.BindReceiveQueue(queue); // this queue's reads armed in this worker's ring
    }

    private void RemoveOwned(PortSlot slot, int queue)
    {
        int at = -1;
        for (int i = 0; i < _owned.Length; i++)
        {
            if (_owned[i] == slot && _ownedQueue[i] == queue)
            {
                at = i;
                break;
            }
        }

        if (at < 0)
        {
            return;
        }

        StopPolling(at);
        slot.Port.UnbindReceiveQueue(queue); // reads armed in this worker's ring are cancelled and their buffers returned
        var owned = new PortSlot[_owned.Length - 1];
        var queues = new int[owned.Length];
        var polled = new bool[owned.Length];
        for (int i = 0, j = 0; i < _owned.Length; i++)
        {
            if (i != at)
            {
                owned[j] = _owned[i];
                queues[j] = _ownedQueue[i];
                polled[j] = _polled[i];
                j++;
            }
        }

        _owned = owned;
        _ownedQueue = queues;
        _polled = polled;
    }
}
