using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Frames;
using FastBridge.Switching;

namespace FastBridge.Dataplane;

/// <summary>
/// The frame path when some port has a policy (<see cref="PortPolicy"/>: VLANs, flood and learning flags): the same
/// stages, each asking the ports' policies. Taken for a whole burst when <see cref="DataplaneView.Policies"/> is set;
/// a bridge whose ports all keep the default pays one branch per burst for it (<c>SwitchingBenchmarks</c>).
/// </summary>
/// <remarks>
/// Ingress: the ingress port's VLAN setting puts the frame in a VLAN or filters it (<c>vlan-filtered</c>); its source
/// is learned in that VLAN unless the port's learning is off. Decide: a lookup in that VLAN; a destination that does
/// not carry the VLAN floods; the ingress port itself only with hairpin; two isolated ports never. Flood: to the
/// VLAN's flood list (<see cref="DataplaneView.FloodByVlan"/>), minus the ports whose flags refuse this kind of flood
/// and isolated ports when the ingress is isolated. Egress: each output port gets the frame tagged as it carries the
/// VLAN (<see cref="VlanTagging"/>); a flood whose output ports differ gets one copy per form (<c>vlan-copies</c>).
/// </remarks>
internal sealed partial class Worker
{
    private readonly int[] _vlanOf;          // [frame]: the VLAN the ingress port put frame i in
    private readonly int[] _floodTargets;    // [k]: output ports of the flood being staged
    private readonly TagAction[] _floodActions;

    /// <summary><see cref="Classify"/> with policies: VLAN classification, learning flag, hairpin and isolation.</summary>
    private void ClassifyWithPolicy(DataplaneView view, int inId, int n, CounterBlock c)
    {
        MacTable table = view.Table;
        PortSlot?[] slots = view.Slots;
        PortPolicy[] policies = view.Policies!;
        PortPolicy ingress = policies[inId];
        Span<int> verdicts = _verdicts.AsSpan(0, n);
        BurstMemo memo = default; // keyed by the VLAN the ingress port put each frame in
        for (int i = 0; i < verdicts.Length; i++)
        {
            ref FrameInfo frame = ref _infos[i];
            if (frame.Drop != DropReason.None)
            {
                verdicts[i] = Verdict.Drop(frame.Drop);
                continue;
            }

            int vid = ingress.Vlan.Classify(frame.TagCount != 0, frame.VlanId);
            if (vid < 0)
            {
                verdicts[i] = Verdict.Drop(DropReason.VlanFiltered);
                continue;
            }

            _vlanOf[i] = vid;
            if (ingress.Learning)
            {
                Learn(table, frame.Source, vid, inId, c, ref memo);
            }
            else
            {
                c[Counter.NotLearned]++;
            }

            verdicts[i] = DecideWithPolicy(table, slots, policies, ref frame, vid, inId, ref memo);
        }
    }

    private static int DecideWithPolicy(MacTable table, PortSlot?[] slots, PortPolicy[] policies, ref FrameInfo frame, int vid, int inId, ref BurstMemo memo)
    {
        if (frame.Class != FrameClass.Unicast)
        {
            return Verdict.Flood;
        }

        int dst = LookUp(table, frame.Destination, vid, ref memo);
        if (dst == inId)
        {
            return policies[inId].Hairpin ? dst : Verdict.Drop(DropReason.SamePort);
        }

        if ((uint)dst >= (uint)slots.Length || slots[dst] is not { Forwarding: true } || !policies[dst].Vlan.Carries(vid))
        {
            return Verdict.Flood;
        }

        return policies[inId].Isolated && policies[dst].Isolated ? Verdict.Drop(DropReason.Isolated) : dst;
    }

    /// <summary><see cref="Act"/> with policies: unicast retagged for its output port, floods per VLAN and per flag.</summary>
    private void ActWithPolicy(DataplaneView view, PortSlot ingress, int n, CounterBlock c)
    {
        ingress.Storm?.Refill(); // once per burst, from one timestamp
        PortPolicy[] policies = view.Policies!;
        ReadOnlySpan<int> verdicts = _verdicts.AsSpan(0, n);
        for (int i = 0; i < verdicts.Length; i++)
        {
            int verdict = verdicts[i];
            Packet packet = _rx[i];
            if (verdict >= 0)
            {
                ref FrameInfo frame = ref _infos[i];
                TagAction action = VlanTagging.ActionFor(frame.TagCount != 0, frame.VlanId, _vlanOf[i], policies[verdict].Vlan);
                StageRetagged(view.Slots[verdict]!, packet, action, _vlanOf[i]);
                c[Counter.Forwarded]++;
            }
            else if (verdict == Verdict.Flood)
            {
                FloodWithPolicy(view, ingress, packet, i, c);
            }
            else
            {
                c.Drop(Verdict.ReasonOf(verdict));
                packet.Release();
            }
        }
    }

    private void FloodWithPolicy(DataplaneView view, PortSlot ingress, Packet packet, int i, CounterBlock c)
    {
        ref FrameInfo frame = ref _infos[i];
        int vid = _vlanOf[i];
        PortPolicy[] policies = view.Policies!;
        PortPolicy from = policies[ingress.Id];
        int[] members = view.FloodByVlan![vid];
        int candidates = 0, targets = 0, keep = 0;
        for (int m = 0; m < members.Length; m++)
        {
            int port = members[m];
            if (port == ingress.Id && !from.Hairpin)
            {
                continue;
            }

            candidates++;
            PortPolicy to = policies[port];
            if (!TakesFlood(to, frame.Class) || (from.Isolated && to.Isolated && port != ingress.Id))
            {
                view.Slots[port]!.Counters[Id][Counter.FloodWithheld]++;
                continue;
            }

            TagAction action = VlanTagging.ActionFor(frame.TagCount != 0, frame.VlanId, vid, to.Vlan);
            keep += action == TagAction.Keep ? 1 : 0;
            _floodTargets[targets] = port;
            _floodActions[targets++] = action;
        }

        if (targets == 0)
        {
            c.Drop(candidates == 0 ? DropReason.NoOutput : DropReason.FloodRefused);
            packet.Release();
            return;
        }

        if (ingress.Storm is { } storm && !storm.TryFlood(frame.Class))
        {
            c.Drop(DropReason.StormLimit);
            packet.Release();
            return;
        }

        c[Counter.Forwarded]++;
        c[Counter.Flooded]++;
        StageFloodForms(view, packet, targets, keep, vid, c);
    }

    /// <summary>
    /// Stages the flood's targets: those that take the frame as it came share it; each other form is made once, as a
    /// copy while the original is still needed, else in the original's own buffer (last).
    /// </summary>
    private void StageFloodForms(DataplaneView view, Packet packet, int targets, int keep, int vid, CounterBlock c)
    {
        ReadOnlySpan<int> ports = _floodTargets.AsSpan(0, targets);
        ReadOnlySpan<TagAction> actions = _floodActions.AsSpan(0, targets);
        TagAction last = TagAction.Keep;
        for (TagAction form = TagAction.Pop; form <= TagAction.Rewrite; form++)
        {
            if (actions.Contains(form))
            {
                last = form;
            }
        }

        for (TagAction form = TagAction.Pop; form <= TagAction.Rewrite; form++)
        {
            if ((form == last && keep == 0) || !actions.Contains(form))
            {
                continue;
            }

            c[Counter.VlanCopies]++;
            StageForm(view, VlanTagging.Copy(_pool, packet, form, vid), ports, actions, form);
        }

        if (keep > 0)
        {
            if (keep > 1)
            {
                packet.AddRef(keep - 1);
            }

            StageForm(view, packet, ports, actions, TagAction.Keep);
        }

        if (keep == 0)
        {
            StageForm(view, VlanTagging.InPlace(_pool, packet, last, vid), ports, actions, last);
        }
    }

    /// <summary>Stages <paramref name="form"/> (one reference, or null: no buffer) to every target wanting it.</summary>
    private void StageForm(DataplaneView view, Packet form, ReadOnlySpan<int> ports, ReadOnlySpan<TagAction> actions, TagAction wanted)
    {
        int count = 0;
        for (int k = 0; k < ports.Length; k++)
        {
            count += actions[k] == wanted ? 1 : 0;
        }

        if (!form.IsNull && count > 1 && wanted != TagAction.Keep)
        {
            form.AddRef(count - 1);
        }

        for (int k = 0; k < ports.Length; k++)
        {
            if (actions[k] != wanted)
            {
                continue;
            }

            if (form.IsNull)
            {
                DropOnOutput(view.Slots[ports[k]]!, DropReason.NoTxBuffer);
            }
            else
            {
                Stage(ports[k], form);
            }
        }
    }

    /// <summary>Stages a unicast frame, tagged as its output port carries the VLAN.</summary>
    private void StageRetagged(PortSlot output, Packet packet, TagAction action, int vid)
    {
        Packet sent = action == TagAction.Keep ? packet : VlanTagging.InPlace(_pool, packet, action, vid);
        if (sent.IsNull)
        {
            DropOnOutput(output, DropReason.NoTxBuffer);
            return;
        }

        Stage(output.Id, sent);
    }

    /// <summary>Counts a copy offered to <paramref name="output"/> that never reached it (egress accounting stays exact).</summary>
    private void DropOnOutput(PortSlot output, DropReason reason)
    {
        CounterBlock block = output.Counters[Id];
        block[Counter.TxOffered]++;
        block.Drop(reason);
    }

    private static bool TakesFlood(PortPolicy port, FrameClass frameClass) => frameClass switch
    {
        FrameClass.Broadcast => port.FloodBroadcast,
        FrameClass.Multicast => port.FloodMulticast,
        _ => port.FloodUnknown,
    };
}
