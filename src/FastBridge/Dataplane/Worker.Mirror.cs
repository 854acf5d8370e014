using System.Buffers.Binary;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// Port mirroring (<see cref="MirrorSet"/>): copies of the frames received on (after parse) and sent by (at hand-off)
/// a mirror's source ports go to its output port, whose own input is ignored.
/// </summary>
/// <remarks>
/// A copy is one more reference on the frame's pool buffer, never a byte copy and never an allocation: the output port
/// sends the very buffer the real destinations send. Nobody writes a shared buffer: the VLAN stage copies a frame
/// before retagging it when a mirror holds it too (<see cref="VlanTagging.InPlace"/>), the offload finisher already
/// does. Copies are handed to the output port as any frame is (its ring, or a concurrent transmit), so a slow output
/// port drops its copies there (<c>ring-full</c>, <c>tx-error</c>, counted on it) and never holds up the source ports.
/// Copies made are counted <c>mirrored</c> on the source port; on the output port they are its <c>tx-offered</c>.
/// </remarks>
internal sealed partial class Worker
{
    private readonly int[] _mirrorCopies; // pool indices of one output port's copies of one output group (at most a burst)

    /// <summary>
    /// Receive side of mirroring for a burst of <paramref name="n"/> parsed frames from <paramref name="ingress"/>:
    /// true when the port is a mirror's output (the burst is dropped, <c>mirror-output</c>); otherwise stages a copy
    /// of each frame an rx mirror of the port selects and returns false.
    /// </summary>
    private bool MirrorReceived(DataplaneView view, MirrorSet mirrors, PortSlot ingress, int n, CounterBlock c)
    {
        if (mirrors.IsOutput[ingress.Id])
        {
            for (int i = 0; i < n; i++)
            {
                c.Drop(DropReason.MirrorOutput);
                _rx[i].Release();
            }

            return true;
        }

        if (mirrors.Rx[ingress.Id] is not { } targets)
        {
            return false;
        }

        PortVlan vlan = view.Policies![ingress.Id].Vlan; // a view with mirrors always has policies
        foreach (MirrorTarget target in targets)
        {
            if (view.Slots[target.Output] is not { Forwarding: true })
            {
                continue;
            }

            for (int i = 0; i < n; i++)
            {
                ref FrameInfo frame = ref _infos[i];
                int vid = frame.Drop == DropReason.None ? vlan.Classify(frame.TagCount != 0, frame.VlanId) : -1;
                if (vid < 0 || (target.Vlans is { } vlans && !vlans.Contains(vid)))
                {
                    continue; // malformed and VLAN-filtered frames are not mirrored (Open vSwitch neither)
                }

                _rx[i].AddRef();
                Stage(target.Output, _rx[i]); // at most one copy per frame and output port: fits its stage
                c[Counter.Mirrored]++;
            }
        }

        return false;
    }

    /// <summary>
    /// Send side of mirroring: hands copies of the frames of <paramref name="sent"/> (staged for <paramref name="port"/>)
    /// that a tx mirror of the port selects to that mirror's output port. Called before the frames are handed off.
    /// </summary>
    private void MirrorSent(DataplaneView view, PortSlot port, ReadOnlySpan<int> sent, ref bool wakeAny)
    {
        if (view.Mirrors!.Tx[port.Id] is not { } targets)
        {
            return;
        }

        PortVlan vlan = view.Policies![port.Id].Vlan;
        CounterBlock c = port.Counters[Id];
        foreach (MirrorTarget target in targets)
        {
            if (view.Slots[target.Output] is not { Forwarding: true } output)
            {
                continue;
            }

            int copies = 0;
            foreach (int frame in sent)
            {
                if (target.Vlans is { } vlans && !vlans.Contains(SentVlan(vlan, _pool.FromIndex(frame).Span)))
                {
                    continue;
                }

                _pool.AddRef(frame, 1);
                _mirrorCopies[copies++] = frame;
            }

            c[Counter.Mirrored] += copies;
            if (copies > 0)
            {
                wakeAny |= Give(output, _mirrorCopies.AsSpan(0, copies));
            }
        }
    }

    /// <summary>The VLAN of a frame as it leaves a port with the VLAN setting <paramref name="vlan"/> (tagged as <see cref="VlanTagging"/> left it).</summary>
    private static int SentVlan(PortVlan vlan, ReadOnlySpan<byte> frame)
    {
        if (vlan.Mode == VlanMode.Access)
        {
            return vlan.Vid;
        }

        bool tagged = frame.Length >= FrameParser.HeaderLength + FrameParser.TagLength
            && FrameParser.IsTpid(BinaryPrimitives.ReadUInt16BigEndian(frame[12..]));
        return tagged ? BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0x0FFF : vlan.Vid; // untagged: the native VLAN, or 0
    }
}
