using FastBridge.Diagnostics;

namespace FastBridge.Frames;

/// <summary>
/// What the parser learned about one frame: addresses, tags, EtherType, class and, for a malformed frame, why it must
/// be dropped. Plain fields, one per fact, so a burst of them is a flat array the switching stage walks in order.
/// </summary>
public struct FrameInfo
{
    /// <summary>Destination MAC, packed as in <see cref="MacAddress"/>.</summary>
    public ulong Destination;

    /// <summary>Source MAC, packed as in <see cref="MacAddress"/>.</summary>
    public ulong Source;

    /// <summary>EtherType after all parsed tags (the payload's protocol).</summary>
    public ushort EtherType;

    /// <summary>VLAN id of the first (outer) tag; 0 when untagged. This is the VLAN the MAC table learns in.</summary>
    public ushort VlanId;

    /// <summary>VLAN id of the second (inner, C-) tag of an 802.1ad/QinQ frame; 0 when there is none.</summary>
    public ushort InnerVlanId;

    /// <summary>TPID of the outer tag (0x8100, 0x88A8 or 0x9100); 0 when untagged.</summary>
    public ushort OuterTpid;

    /// <summary>Priority code point (PCP) of the outer tag.</summary>
    public byte Priority;

    /// <summary>Priority code point of the inner tag.</summary>
    public byte InnerPriority;

    /// <summary>Number of VLAN tags parsed (0, 1 or 2).</summary>
    public byte TagCount;

    /// <summary>Offset of the payload after the EtherType.</summary>
    public ushort PayloadOffset;

    public FrameClass Class;

    /// <summary><see cref="DropReason.None"/> for a well-formed frame, else why the frame must be dropped.</summary>
    public DropReason Drop;

    public readonly MacAddress DestinationMac => new(Destination);

    public readonly MacAddress SourceMac => new(Source);
}
