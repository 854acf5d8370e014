using FastBridge.Dataplane;
using FastBridge.Switching;
using Microsoft.Extensions.Logging;

namespace FastBridge;

public sealed partial class Bridge
{
    private readonly List<Mirror> _mirrors = []; // under _control

    /// <summary>The bridge's mirrors, in the order they were added (disabled ones too).</summary>
    public IReadOnlyList<Mirror> Mirrors
    {
        get
        {
            lock (_control)
            {
                return [.. _mirrors];
            }
        }
    }

    /// <summary>
    /// Adds a port mirror, live: from the workers' next burst on, copies of the selected frames leave by its output
    /// port, which from then on takes no floods and no unicast and whose input is ignored (dropped <c>mirror-output</c>).
    /// Its dynamic MAC entries are flushed (nothing can be learned there any more).
    /// </summary>
    /// <exception cref="ArgumentException">A bad name, VLAN or direction, or no source.</exception>
    /// <exception cref="InvalidOperationException">A duplicate name, an unknown port, or a port that would be both a source and an output.</exception>
    public void AddMirror(Mirror mirror)
    {
        ArgumentNullException.ThrowIfNull(mirror);
        lock (_control)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CheckMirror(mirror);
            var added = mirror with { Sources = [.. mirror.Sources.Distinct(StringComparer.Ordinal)], Disabled = null };
            _mirrors.Add(added);
            PublishView(); // returns once no worker still floods to, or learns on, the output port
            int flushed = MacTable.Flush(FindSlot(mirror.Output)!.Id);
            _log.LogInformation("mirror {Mirror} added: {Direction} of {Sources}{Vlan} to {Output} ({Macs} MAC entries of {Output} flushed)",
                mirror.Name, mirror.Direction, string.Join(",", added.Sources), mirror.Vlan == 0 ? "" : $" in VLAN {mirror.Vlan}", mirror.Output, flushed, mirror.Output);
        }
    }

    /// <summary>Removes the mirror named <paramref name="name"/>, live; its output port switches again. False when there is none.</summary>
    public bool RemoveMirror(string name)
    {
        lock (_control)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int index = _mirrors.FindIndex(m => m.Name == name);
            if (index < 0)
            {
                return false;
            }

            _mirrors.RemoveAt(index);
            PublishView();
            _log.LogInformation("mirror {Mirror} deleted", name);
            return true;
        }
    }

    private void CheckMirror(Mirror mirror)
    {
        if (string.IsNullOrWhiteSpace(mirror.Name))
        {
            throw new ArgumentException("a mirror needs a name", nameof(mirror));
        }

        if (_mirrors.Exists(m => m.Name == mirror.Name))
        {
            throw new InvalidOperationException($"a mirror named '{mirror.Name}' already exists");
        }

        if (mirror.Sources is null || mirror.Sources.Count == 0)
        {
            throw new ArgumentException($"mirror '{mirror.Name}' needs at least one source port", nameof(mirror));
        }

        if (mirror.Direction is not (MirrorDirection.Rx or MirrorDirection.Tx or MirrorDirection.Both))
        {
            throw new ArgumentException($"mirror '{mirror.Name}': direction must be rx, tx or both", nameof(mirror));
        }

        if (mirror.Vlan != 0 && !VlanSet.IsValidVid(mirror.Vlan))
        {
            throw new ArgumentException($"mirror '{mirror.Name}': VLAN {mirror.Vlan} is out of range ({VlanSet.MinVid} to {VlanSet.MaxVid})", nameof(mirror));
        }

        foreach (string port in mirror.Sources.Append(mirror.Output))
        {
            if (FindSlot(port) is null)
            {
                throw new InvalidOperationException($"mirror '{mirror.Name}': no port named '{port}'");
            }
        }

        if (mirror.Sources.Contains(mirror.Output))
        {
            throw new InvalidOperationException($"mirror '{mirror.Name}': port '{mirror.Output}' cannot be both a source and the output");
        }

        foreach (Mirror other in _mirrors)
        {
            if (other.Disabled is not null)
            {
                continue;
            }

            if (other.Sources.Contains(mirror.Output))
            {
                throw new InvalidOperationException($"mirror '{mirror.Name}': port '{mirror.Output}' is a source of mirror '{other.Name}', so it cannot be an output (an output port carries only mirrored frames)");
            }

            if (mirror.Sources.FirstOrDefault(s => s == other.Output) is { } source)
            {
                throw new InvalidOperationException($"mirror '{mirror.Name}': port '{source}' is the output of mirror '{other.Name}', so it cannot be a source (its input is ignored)");
            }
        }
    }

    /// <summary>
    /// The mirrors once the port named <paramref name="name"/> leaves (control lock held): as Open vSwitch does, a
    /// removed source leaves the mirror's sources, a removed output disables the mirror (kept until deleted). Logged.
    /// </summary>
    private void ForgetMirrorPort(string name)
    {
        for (int i = 0; i < _mirrors.Count; i++)
        {
            Mirror mirror = _mirrors[i];
            if (mirror.Disabled is null && mirror.Output == name)
            {
                _mirrors[i] = mirror with { Disabled = $"its output port {name} was removed" };
                _log.LogWarning("mirror {Mirror} disabled: its output port {Port} was removed (delete the mirror and add it again)", mirror.Name, name);
            }
            else if (mirror.Sources.Contains(name))
            {
                _mirrors[i] = mirror with { Sources = [.. mirror.Sources.Where(s => s != name)] };
                _log.LogInformation("mirror {Mirror}: source port {Port} was removed; it mirrors {Left} now", mirror.Name, name,
                    _mirrors[i].Sources.Count == 0 ? "no port" : string.Join(",", _mirrors[i].Sources));
            }
        }
    }

    private MirrorSet? BuildMirrors() => _mirrors.Count == 0 ? null : MirrorSet.Build(_mirrors, _slots);
}
