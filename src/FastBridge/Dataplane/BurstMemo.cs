using System.Runtime.CompilerServices;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// What the learn and decide stages remember between the frames of one burst from one ingress port: the last source
/// whose learn changed nothing, and the last destination looked up with its answer. Consecutive frames of a burst
/// usually belong to one flow, so most frames then skip the MAC table's hash and probe twice.
/// </summary>
/// <remarks>
/// <para>
/// <b>Design.</b> VPP's <c>l2-learn</c> and <c>l2-fwd</c> nodes keep the same one-entry cache per frame vector
/// (<c>cached_key</c>/<c>cached_result</c>). A memo lives for one burst only (a local of the classify loop, made
/// empty for each burst), so the first frame of every burst asks the table: each station that sends at all is still
/// refreshed once per burst, which is all aging needs (stamps are coarse seconds, <see cref="MacTable.Tick"/>).
/// Keys are the table's own (<see cref="MacWords.MakeKey"/>: MAC, 12-bit VLAN and a bit no empty key has), so two
/// frames share a memo entry exactly when they would share a table entry, and <c>0</c> means "nothing remembered".
/// </para>
/// <para>
/// <b>Exactness.</b> Only a learn that changed nothing is remembered (<see cref="LearnResult.Refreshed"/>,
/// <see cref="LearnResult.Static"/>): the same learn again in the same burst would change nothing and count nothing
/// either. A learn refused (<see cref="LearnResult.TableFull"/>, <see cref="LearnResult.PortLimit"/>) is never
/// remembered, since every frame that tries is counted; it changes nothing, so it leaves the memo as it is. A learn
/// that changed the table (learned, moved, evicted a victim) forgets both entries: the next frame's source and
/// destination are asked of the table again, so a destination learned from an earlier frame of the same burst is
/// found exactly as without the memo. What this burst did not do itself, another worker's learn, a control-plane edit
/// or a clock tick between two frames of the burst, reaches the burst's later frames only at the next burst, the same
/// outcome as if it had landed just after this burst's last frame (the table promises no order between threads).
/// </para>
/// <para>
/// <b>Performance.</b> Three words in registers; a hit costs the key's few ALU operations and one compare instead of a
/// hash, a probe and three acquire loads (<c>SwitchingBenchmarks.UnicastOneFlow</c> against <c>Unicast</c>).
/// </para>
/// </remarks>
internal struct BurstMemo
{
    private ulong _unchangedSource;  // key of the last source whose learn changed nothing; 0: none
    private ulong _destination;      // key of the last destination looked up; 0: none
    private int _destinationPort;    // what the table answered for _destination (-1: unknown)

    /// <summary>True when learning <paramref name="sourceKey"/> on this burst's port again would change nothing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool LearnsNothing(ulong sourceKey) => sourceKey == _unchangedSource;

    /// <summary>Notes the table's answer to learning <paramref name="sourceKey"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Learned(ulong sourceKey, LearnResult result)
    {
        if (result is LearnResult.Refreshed or LearnResult.Static)
        {
            _unchangedSource = sourceKey;
        }
        else if (result is not (LearnResult.TableFull or LearnResult.PortLimit))
        {
            // The table changed (a station learned or moved, maybe a victim evicted): whatever was remembered may be stale.
            _unchangedSource = 0;
            _destination = 0;
        }
    }

    /// <summary>The port <paramref name="destinationKey"/> was looked up to in this burst, as <paramref name="port"/>; false when not remembered.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly bool TryGetDestination(ulong destinationKey, out int port)
    {
        port = _destinationPort;
        return destinationKey == _destination;
    }

    /// <summary>Remembers the table's answer <paramref name="port"/> for <paramref name="destinationKey"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void LookedUp(ulong destinationKey, int port)
    {
        _destination = destinationKey;
        _destinationPort = port;
    }
}
