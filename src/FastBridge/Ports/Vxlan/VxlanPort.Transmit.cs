using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Ports.Netdev;

namespace FastBridge.Ports.Vxlan;

/// <summary>The transmit path: pick the VNI and the remotes of each frame, gather header and frame, one sendmmsg per batch.</summary>
public sealed unsafe partial class VxlanPort
{
    /// <summary>Datagrams one sendmmsg takes (a burst of 64 frames, some of them flooded to a few remotes).</summary>
    private const int MaxSendBatch = 128;

    /// <summary>UDP header (raw socket only) and VXLAN header, per frame of a batch.</summary>
    private const int TxHeaderSize = VxlanHeader.UdpSize + VxlanHeader.Size;

    private byte* _txMemory;
    private MmsgHdr* _txMessages;
    private IoVec* _txPieces;
    private byte* _txHeaders;
    private readonly int[] _txFrameOf = new int[MaxSendBatch];
    private readonly int[] _txRemoteOf = new int[MaxSendBatch];
    private long _datagramsSent;

    private void AllocateTransmit()
    {
        int size = (MaxSendBatch * sizeof(MmsgHdr)) + (MaxSendBatch * 3 * sizeof(IoVec)) + (MaxSendBatch * TxHeaderSize);
        _txMemory = (byte*)NativeMemory.AllocZeroed((nuint)size);
        _txMessages = (MmsgHdr*)_txMemory;
        _txPieces = (IoVec*)(_txMessages + MaxSendBatch);
        _txHeaders = (byte*)(_txPieces + (MaxSendBatch * 3));
    }

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        if (!_edits.IsEmpty)
        {
            ApplyEdits();
        }

        if (State == PortState.Gone)
        {
            outcome[..frames.Length].Fill(DropReason.PortDown);
            return;
        }

        uint now = Now;
        int aging = Aging;
        int messages = 0;
        int framesInBatch = 0;
        for (int f = 0; f < frames.Length; f++)
        {
            Packet frame = frames[f];
            var bytes = new ReadOnlySpan<byte>(frame.Pointer, frame.Length);
            DropReason verdict = Classify(bytes, out int segment, out bool strip);
            if (verdict != DropReason.None)
            {
                outcome[f] = verdict;
                continue;
            }

            int remote = -1;
            int copies;
            if ((bytes[0] & 1) == 0)
            {
                ulong mac = BinaryPrimitives.ReadUInt32LittleEndian(bytes) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(bytes[4..]) << 32);
                remote = _table.Lookup(mac, segment, now, aging);
            }

            copies = remote >= 0 ? 1 : _groupRemote >= 0 ? 1 : _table.FloodCount;
            if (copies == 0)
            {
                outcome[f] = DropReason.VxlanNoRemote;
                continue;
            }

            if (messages + copies > MaxSendBatch)
            {
                Send(messages, outcome);
                messages = 0;
                framesInBatch = 0;
            }

            outcome[f] = DropReason.TxError; // until one of its datagrams leaves
            int innerLength = bytes.Length - (strip ? 4 : 0);
            byte* header = _txHeaders + (framesInBatch++ * TxHeaderSize);
            VxlanHeader.WriteUdp(new Span<byte>(header, VxlanHeader.UdpSize), VxlanHeader.SourcePort(bytes), (ushort)DestinationPort, VxlanHeader.Size + innerLength);
            VxlanHeader.Write(new Span<byte>(header + VxlanHeader.UdpSize, VxlanHeader.Size), _segmentVni[segment]);
            for (int c = 0; c < copies; c++)
            {
                int to = remote >= 0 ? remote : _groupRemote >= 0 ? _groupRemote : _table.FloodRemote(c);
                Gather(messages, header, frame, bytes.Length, strip, to);
                _txFrameOf[messages] = f;
                _txRemoteOf[messages] = to;
                messages++;
            }
        }

        if (messages > 0)
        {
            Send(messages, outcome);
        }
    }

    /// <summary>The frame's segment (its VNI), whether its tag is to be left out, or why it cannot be carried.</summary>
    private DropReason Classify(ReadOnlySpan<byte> bytes, out int segment, out bool strip)
    {
        segment = _defaultSegment;
        strip = false;
        if (bytes.Length < VxlanHeader.EthernetHeaderSize)
        {
            return DropReason.TxError;
        }

        bool tagged = BinaryPrimitives.ReadUInt16BigEndian(bytes[MacsSize..]) == 0x8100 && bytes.Length >= VxlanHeader.EthernetHeaderSize + 4;
        if (tagged && _hasMap)
        {
            segment = _vlanSegment[BinaryPrimitives.ReadUInt16BigEndian(bytes[(MacsSize + 2)..]) & 0xFFF];
            strip = true;
        }

        if (segment < 0)
        {
            return DropReason.VxlanUnmappedVlan;
        }

        // A tag carried as it is (no map) does not count against the MTU, as the kernel's bridge allows it on top.
        int inner = bytes.Length - (tagged ? 4 : 0);
        return inner > MaxInnerFrame ? DropReason.VxlanOverMtu : DropReason.None;
    }

    /// <summary>Message <paramref name="m"/>: the header (UDP too when sending raw), then the frame, less its tag when stripped.</summary>
    private void Gather(int m, byte* header, Packet frame, int length, bool strip, int remote)
    {
        IoVec* pieces = _txPieces + (m * 3);
        pieces[0].Base = HashesSourcePort ? header : header + VxlanHeader.UdpSize;
        pieces[0].Length = (nuint)(HashesSourcePort ? TxHeaderSize : VxlanHeader.Size);
        MmsgHdr* message = _txMessages + m;
        message->Header.Name = _table.AddressOf(remote);
        message->Header.NameLength = _table.AddressLengthOf(remote);
        message->Header.Control = null;
        message->Header.ControlLength = 0;
        PointAtFrame(message, pieces, frame.Pointer, length, gap: strip); // a stripped tag is the gap
    }

    /// <summary>
    /// Points pieces 1 (and 2) of <paramref name="message"/> at a frame of <paramref name="length"/> bytes; with
    /// <paramref name="gap"/> the 4 bytes after the MACs are skipped: a VLAN tag's place, filled on receive, left out
    /// on send. Piece 0 (the VXLAN header) is the caller's.
    /// </summary>
    private static void PointAtFrame(MmsgHdr* message, IoVec* pieces, byte* frame, int length, bool gap)
    {
        message->Header.Iov = pieces;
        message->Header.Flags = 0;
        message->Length = 0;
        if (gap)
        {
            pieces[1].Base = frame;
            pieces[1].Length = MacsSize;
            pieces[2].Base = frame + MacsSize + 4;
            pieces[2].Length = (nuint)(length - MacsSize - 4);
            message->Header.IovLength = 3;
        }
        else
        {
            pieces[1].Base = frame;
            pieces[1].Length = (nuint)length;
            message->Header.IovLength = 2;
        }
    }

    /// <summary>Sends <paramref name="count"/> prepared datagrams; a frame counts as sent when one of its datagrams left.</summary>
    private void Send(int count, Span<DropReason> outcome)
    {
        int done = 0;
        while (done < count)
        {
            int n = Libc.SendMany(_txFd, _txMessages + done, (uint)(count - done), out int errno);
            if (n <= 0)
            {
                done++; // this datagram was refused (no route, link down, no buffer): its frame stays tx-error unless another copy leaves
                continue;
            }

            for (int m = done; m < done + n; m++)
            {
                outcome[_txFrameOf[m]] = DropReason.None;
                _table.SentTo[_txRemoteOf[m]]++;
            }

            _datagramsSent += n;
            done += n;
        }
    }
}
