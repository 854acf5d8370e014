namespace FastBridge.Tests.Properties;

/// <summary>
/// The simplest learning bridge there is, to check FastBridge against: a dictionary from (MAC, VLAN) to port,
/// learn every valid source, forward known unicast, flood the rest to every other port, filter same-port unicast.
/// </summary>
internal sealed partial class ReferenceBridge(int ports)
{
    private readonly Dictionary<(ulong Mac, ushort Vlan), (int Port, bool Static)> _table = [];
    private readonly HashSet<int> _ports = [.. Enumerable.Range(0, ports)];

    public IReadOnlyCollection<int> Ports => _ports;

    /// <summary>The ports a valid frame goes out of; empty when it is filtered (<paramref name="filtered"/>) or has nowhere to go.</summary>
    public HashSet<int> Forward(int ingress, ulong src, ulong dst, ushort vlan, out bool filtered)
    {
        if (!_table.TryGetValue((src, vlan), out var entry) || !entry.Static)
        {
            _table[(src, vlan)] = (ingress, false);
        }

        bool unicast = (dst & 1) == 0;
        filtered = false;
        if (unicast && _table.TryGetValue((dst, vlan), out var known) && _ports.Contains(known.Port))
        {
            filtered = known.Port == ingress;
            return filtered ? [] : [known.Port];
        }

        return [.. _ports.Where(p => p != ingress)];
    }

    public void AddStatic(ulong mac, ushort vlan, int port) => _table[(mac, vlan)] = (port, true);

    public void Remove(ulong mac, ushort vlan) => _table.Remove((mac, vlan));

    public void FlushDynamic()
    {
        foreach (var key in _table.Where(e => !e.Value.Static).Select(e => e.Key).ToList())
        {
            _table.Remove(key);
        }
    }

    public void RemovePort(int port)
    {
        _ports.Remove(port);
        foreach (var key in _table.Where(e => e.Value.Port == port).Select(e => e.Key).ToList())
        {
            _table.Remove(key);
        }
    }

    public int? PortOf(ulong mac, ushort vlan) => _table.TryGetValue((mac, vlan), out var e) ? e.Port : null;
}
