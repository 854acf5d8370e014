namespace FastBridge.Control;

/// <summary>
/// The <c>capture</c> request's selection (docs/protocol.md, "Capture"): every member left out matches everything.
/// </summary>
public sealed class CaptureSpec
{
    /// <summary>Only these ports (names); every port, including ports added later, when left out.</summary>
    public List<string>? Ports { get; set; }

    /// <summary>Only frames of this VLAN (0-4095): the outer tag's VID, or the port's untagged VLAN for an untagged frame.</summary>
    public int? Vlan { get; set; }

    /// <summary>Only frames from or to this station (aa:bb:cc:dd:ee:ff).</summary>
    public string? Mac { get; set; }

    /// <summary>Only frames of this EtherType (0-65535), outer or after the VLAN tags.</summary>
    public int? Ethertype { get; set; }

    /// <summary>Bytes kept of each frame (1-262144; default 262144, the whole frame).</summary>
    public int? Snaplen { get; set; }

    /// <summary>End the capture after this many frames (default 0: until the client stops it).</summary>
    public long? Count { get; set; }

    /// <summary>KiB of ring per worker for the copies (4-65536, rounded up to a power of two; default 4096).</summary>
    public int? RingKib { get; set; }
}

/// <summary>The <c>capture</c> response: what the switch set up before the frame stream starts.</summary>
public sealed class CaptureInfo
{
    public int Snaplen { get; set; }

    /// <summary>KiB of ring per worker.</summary>
    public int RingKib { get; set; }

    /// <summary>Rings (one per worker).</summary>
    public int Workers { get; set; }
}
