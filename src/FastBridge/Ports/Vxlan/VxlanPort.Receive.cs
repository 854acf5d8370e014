using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Ports.Netdev;

namespace FastBridge.Ports.Vxlan;

/// <summary>The receive path: one recvmmsg into held pool buffers, then check, decapsulate, learn the remote.</summary>
public sealed unsafe partial class VxlanPort
{
    /// <summary>Datagrams one recvmmsg takes.</summary>
    private const int MaxReceiveBurst = 64;

    /// <summary>Slots of the remote table the owner sweeps for expired entries per receive call.</summary>
    private const int SweepSlotsPerReceive = 8;

    /// <summary>Bytes before the inner frame's EtherType: where a mapped VLAN's tag goes in.</summary>
    private const int MacsSize = 12;

    private byte* _rxMemory;
    private MmsgHdr* _rxMessages;
    private IoVec* _rxPieces;
    private byte* _rxHeaders;
    private byte* _rxNames;
    private readonly Packet[] _rxHeld = new Packet[MaxReceiveBurst];
    private int _rxBufferSize;
    private long _remoteLearned;

    private void AllocateReceive()
    {
        int size = (MaxReceiveBurst * sizeof(MmsgHdr)) + (MaxReceiveBurst * 3 * sizeof(IoVec)) + (MaxReceiveBurst * VxlanHeader.Size) + (MaxReceiveBurst * VxlanSocket.AddressSize);
        _rxMemory = (byte*)NativeMemory.AllocZeroed((nuint)size);
        _rxMessages = (MmsgHdr*)_rxMemory;
        _rxPieces = (IoVec*)(_rxMessages + MaxReceiveBurst);
        _rxHeaders = (byte*)(_rxPieces + (MaxReceiveBurst * 3));
        _rxNames = _rxHeaders + (MaxReceiveBurst * VxlanHeader.Size);

        // Longest inner frame taken: the largest sent plus a tag (tagged frames of an unmapped port travel as they are).
        _rxBufferSize = MaxInnerFrame + 4 + (_hasMap ? 4 : 0);
    }

    protected internal override int Receive(PacketPool pool, Span<Packet> burst)
    {
        if (!_edits.IsEmpty)
        {
            ApplyEdits();
        }

        if (State == PortState.Gone)
        {
            return 0;
        }

        int want = Math.Min(burst.Length, MaxReceiveBurst);
        int ready = 0;
        while (ready < want)
        {
            if (_rxHeld[ready].IsNull && !pool.TryRent(_rxBufferSize, out _rxHeld[ready]))
            {
                break; // pool dry: receive into what is held; the rest waits in the socket
            }

            Prepare(ready);
            ready++;
        }

        int n = ready == 0 ? 0 : Libc.ReceiveMany(_rxFd, _rxMessages, (uint)ready, out _);
        int count = 0;
        uint now = Now;
        for (int i = 0; i < n; i++)
        {
            DropReason verdict = Decapsulate(i, now, out int length);
            if (verdict != DropReason.None)
            {
                CountReceiveDrop(verdict);
                continue; // the buffer stays held for the next datagram
            }

            Packet packet = _rxHeld[i];
            _rxHeld[i] = default;
            packet.SetLength(length);
            burst[count++] = packet;
        }

        _table.Sweep(SweepSlotsPerReceive, now, Aging);
        return count;
    }

    /// <summary>Points message <paramref name="i"/> at its header slot, its name slot and its held buffer.</summary>
    private void Prepare(int i)
    {
        Packet packet = _rxHeld[i];
        IoVec* pieces = _rxPieces + (i * 3);
        pieces[0].Base = _rxHeaders + (i * VxlanHeader.Size);
        pieces[0].Length = VxlanHeader.Size;
        MmsgHdr* message = _rxMessages + i;
        message->Header.Name = _rxNames + (i * VxlanSocket.AddressSize);
        message->Header.NameLength = VxlanSocket.AddressSize;
        // With a VLAN map, a gap of 4 bytes after the MACs is left where a mapped VLAN's tag goes.
        PointAtFrame(message, pieces, packet.Pointer, _rxBufferSize, gap: _hasMap);
    }

    /// <summary>Checks datagram <paramref name="i"/> and turns its held buffer into the inner frame; learns its source.</summary>
    private DropReason Decapsulate(int i, uint now, out int length)
    {
        length = 0;
        MmsgHdr* message = _rxMessages + i;
        var source = new ReadOnlySpan<byte>(_rxNames + (i * VxlanSocket.AddressSize), VxlanSocket.AddressSize);
        int remote = _table.MatchSource(source);
        if (remote < 0 && _groupRemote < 0)
        {
            return DropReason.VxlanUnknownRemote;
        }

        bool truncated = (message->Header.Flags & Libc.MSG_TRUNC) != 0;
        var header = new ReadOnlySpan<byte>(_rxHeaders + (i * VxlanHeader.Size), VxlanHeader.Size);
        DropReason verdict = VxlanHeader.Inspect(header, (int)message->Length, truncated, out int vni);
        if (verdict != DropReason.None)
        {
            return verdict;
        }

        if (!_vniSegment.TryGetValue(vni, out int segment))
        {
            return DropReason.VxlanWrongVni;
        }

        int inner = (int)message->Length - VxlanHeader.Size;
        Span<byte> frame = _rxHeld[i].Buffer;
        length = Place(frame, inner, _segmentVlan[segment]);
        if (remote >= 0)
        {
            _table.ReceivedFrom[remote]++;
            ulong mac = BinaryPrimitives.ReadUInt32LittleEndian(frame[6..]) | ((ulong)BinaryPrimitives.ReadUInt16LittleEndian(frame[10..]) << 32);
            if ((mac & 1) == 0 && mac != 0 && _table.Learn(mac, segment, remote, now))
            {
                _remoteLearned++;
            }
        }

        return DropReason.None;
    }

    /// <summary>With a VLAN map the frame arrived with a 4-byte gap after its MACs: fill it with the VLAN's tag, or close it.</summary>
    private int Place(Span<byte> frame, int inner, int vlan)
    {
        if (!_hasMap)
        {
            return inner;
        }

        if (vlan != 0)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[MacsSize..], 0x8100);
            BinaryPrimitives.WriteUInt16BigEndian(frame[(MacsSize + 2)..], (ushort)vlan);
            return inner + 4;
        }

        frame.Slice(MacsSize + 4, inner - MacsSize).CopyTo(frame[MacsSize..]);
        return inner;
    }

    /// <summary>
    /// Puts <paramref name="datagram"/> from <paramref name="source"/> (a sockaddr) into receive slot 0 exactly as
    /// recvmmsg scatters one (header slot, then the held buffer's pieces, MSG_TRUNC when it does not fit) and runs the
    /// receive path's checks on it: the fuzz target and tests drive decapsulation without a socket. Owner thread only.
    /// </summary>
    internal DropReason Inject(PacketPool pool, ReadOnlySpan<byte> source, ReadOnlySpan<byte> datagram, out Packet frame)
    {
        frame = default;
        if (_rxHeld[0].IsNull && !pool.TryRent(_rxBufferSize, out _rxHeld[0]))
        {
            return DropReason.NoBuffer;
        }

        Prepare(0);
        source[..Math.Min(source.Length, VxlanSocket.AddressSize)].CopyTo(new Span<byte>(_rxNames, VxlanSocket.AddressSize));
        int copied = 0;
        for (int p = 0; p < (int)_rxMessages->Header.IovLength && copied < datagram.Length; p++)
        {
            IoVec piece = _rxPieces[p];
            int n = Math.Min((int)piece.Length, datagram.Length - copied);
            datagram.Slice(copied, n).CopyTo(new Span<byte>(piece.Base, n));
            copied += n;
        }

        _rxMessages->Length = (uint)copied;
        _rxMessages->Header.Flags = copied < datagram.Length ? Libc.MSG_TRUNC : 0;
        DropReason verdict = Decapsulate(0, Now, out int length);
        if (verdict == DropReason.None)
        {
            frame = _rxHeld[0];
            _rxHeld[0] = default;
            frame.SetLength(length);
        }

        return verdict;
    }

    private void ReleaseReceiveBuffers()
    {
        for (int i = 0; i < _rxHeld.Length; i++)
        {
            if (!_rxHeld[i].IsNull)
            {
                _rxHeld[i].Release();
                _rxHeld[i] = default;
            }
        }
    }
}
