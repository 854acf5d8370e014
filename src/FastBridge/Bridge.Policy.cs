using FastBridge.Dataplane;
using FastBridge.Switching;
using Microsoft.Extensions.Logging;

namespace FastBridge;

public sealed partial class Bridge
{
    /// <summary>The policy (VLANs and flags) of the port named <paramref name="name"/>, or null when there is none.</summary>
    public PortPolicy? GetPortPolicy(string name)
    {
        lock (_control)
        {
            return FindSlot(name)?.Policy;
        }
    }

    /// <summary>
    /// Gives the port named <paramref name="name"/> a new policy, live: the workers switch with it from their next
    /// burst on. When its VLANs change, the MAC entries it learned in VLANs it no longer carries are flushed (after no
    /// worker can still learn with the old setting). Returns the entries flushed.
    /// </summary>
    /// <exception cref="InvalidOperationException">No such port.</exception>
    public int SetPortPolicy(string name, PortPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_control)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            PortSlot slot = FindSlot(name) ?? throw new InvalidOperationException($"no port named '{name}'");
            PortPolicy old = slot.Policy;
            slot.Policy = policy;
            PublishView(); // returns once every worker switches with the new policy
            int flushed = old.Vlan.Equals(policy.Vlan) ? 0 : MacTable.FlushVlansNotCarried(slot.Id, policy.Vlan);
            _log.LogInformation("port {Port} policy: vlan {Vlan}, learning {Learning}, flood {Flood}/{Multicast}/{Broadcast}, isolated {Isolated}, hairpin {Hairpin} ({Flushed} MAC entries flushed)",
                name, policy.Vlan, policy.Learning, policy.FloodUnknown, policy.FloodMulticast, policy.FloodBroadcast, policy.Isolated, policy.Hairpin, flushed);
            return flushed;
        }
    }
}
