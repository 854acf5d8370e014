using static FastBridge.Switching.MacWords;

namespace FastBridge.Switching;

// Control plane: forgetting what a port learned in VLANs it no longer carries.
public sealed partial class MacTable
{
    /// <summary>
    /// Removes the dynamic entries of <paramref name="port"/> in VLANs <paramref name="vlan"/> does not carry (its VLAN
    /// setting changed); static entries stay, as the Linux bridge keeps them. Returns how many were removed.
    /// </summary>
    public int FlushVlansNotCarried(int port, PortVlan vlan)
    {
        ValidatePort(port);
        ArgumentNullException.ThrowIfNull(vlan);
        lock (_controlLock)
        {
            MacStore store = _store;
            MacStore.Slot[] slots = store.Slots;
            int removed = 0;
            for (int i = 0; i < slots.Length; i++)
            {
                ulong key = Volatile.Read(ref slots[i].Key);
                if (!IsLiveKey(key) || vlan.Carries(VlanOf(key)))
                {
                    continue;
                }

                while (true)
                {
                    ulong value = Volatile.Read(ref slots[i].Value);
                    if (value == 0 || IsStatic(value) || PortOf(value) != port || Volatile.Read(ref slots[i].Key) != key)
                    {
                        break;
                    }

                    if (store.TryRemove(i, value))
                    {
                        removed++;
                        break;
                    }
                }
            }

            store.Eviction.Rescan();
            CompactIfNeeded(store);
            return removed;
        }
    }
}
