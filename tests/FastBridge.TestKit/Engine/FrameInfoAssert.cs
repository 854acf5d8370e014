using FastBridge.Frames;

namespace FastBridge.Tests.Infrastructure;

/// <summary>Field-by-field checks of <see cref="FrameInfo"/>, with a message that names every differing field.</summary>
public static class FrameInfoAssert
{
    /// <summary>Whether every field of the two infos is equal.</summary>
    public static bool FieldsEqual(in FrameInfo a, in FrameInfo b) =>
        a.Destination == b.Destination
        && a.Source == b.Source
        && a.EtherType == b.EtherType
        && a.VlanId == b.VlanId
        && a.InnerVlanId == b.InnerVlanId
        && a.OuterTpid == b.OuterTpid
        && a.Priority == b.Priority
        && a.InnerPriority == b.InnerPriority
        && a.TagCount == b.TagCount
        && a.PayloadOffset == b.PayloadOffset
        && a.Class == b.Class
        && a.Drop == b.Drop;

    public static void Equal(in FrameInfo expected, in FrameInfo actual, string? context = null)
    {
        if (!FieldsEqual(expected, actual))
        {
            Assert.Fail($"FrameInfo differs{(context is null ? string.Empty : " (" + context + ")")}:\n expected {Format(expected)}\n actual   {Format(actual)}");
        }
    }

    public static string Format(in FrameInfo i) =>
        $"dst={i.DestinationMac} src={i.SourceMac} type=0x{i.EtherType:X4} vid={i.VlanId} pcp={i.Priority} " +
        $"tpid=0x{i.OuterTpid:X4} ivid={i.InnerVlanId} ipcp={i.InnerPriority} tags={i.TagCount} " +
        $"payload@{i.PayloadOffset} class={i.Class} drop={i.Drop}";
}
