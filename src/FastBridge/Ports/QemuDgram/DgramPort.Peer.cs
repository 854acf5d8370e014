using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using FastBridge.Interop;

namespace FastBridge.Ports.QemuDgram;

/// <summary>The peer: whose datagrams are taken and where frames go; learned from the first sender or fixed.</summary>
public sealed unsafe partial class DgramPort
{
    private const string ReasonNoPeer = "no peer yet: waiting for a frame on the socket";
    private const string ReasonWaitingForPeer = "waiting for the peer's first frame";
    private const string ReasonPeerRefused = "peer gone: nobody is bound to its socket any more (connection refused)";
    private const string ReasonPeerNoFile = "peer gone: its socket file does not exist";

    /// <summary>Least time between two liveness probes of a learned peer, caused by foreign datagrams.</summary>
    private const long ProbeIntervalMs = 1000;

    private readonly byte[] _peerSlot = GC.AllocateArray<byte>(DgramSocket.SlotSize, pinned: true);
    private byte* _peerAddress;
    private int _peerLength; // 0: no peer
    private int _peerSequence; // odd while the owner rewrites the address (read by Peer off the dataplane)
    private long _peerChanges;
    private long _lastProbe = -ProbeIntervalMs; // (long.MinValue would overflow the subtraction below)

    /// <summary>True when the peer was given (<see cref="DgramPortOptions.Peer"/>), false when it is learned.</summary>
    public bool PeerIsFixed { get; private set; }

    /// <summary>The peer's socket path (QEMU's <c>local.path</c>), or null while none is known.</summary>
    public string? Peer
    {
        get
        {
            Span<byte> copy = stackalloc byte[DgramSocket.AddressSize];
            while (true)
            {
                int before = Volatile.Read(ref _peerSequence);
                int length = Volatile.Read(ref _peerLength);
                if ((before & 1) == 0)
                {
                    _peerSlot.AsSpan(0, DgramSocket.AddressSize).CopyTo(copy);
                }

                Interlocked.MemoryBarrier();
                if ((before & 1) == 0 && Volatile.Read(ref _peerSequence) == before)
                {
                    return length == 0 ? null : DgramSocket.Read(copy, length);
                }
            }
        }
    }

    private void AllocatePeer(string? fixedPeer)
    {
        _peerAddress = (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_peerSlot)); // pinned: never moves
        if (fixedPeer is not null)
        {
            uint length = DgramSocket.Write(fixedPeer, new Span<byte>(_peerAddress, DgramSocket.AddressSize));
            _peerLength = DgramSocket.Significant(new ReadOnlySpan<byte>(_peerAddress, DgramSocket.AddressSize), (int)length);
            PeerIsFixed = true;
        }
    }

    /// <summary>True when the sockaddr of <paramref name="length"/> bytes at <paramref name="source"/> is the peer's.</summary>
    private bool IsPeer(byte* source, int length)
    {
        int significant = DgramSocket.Significant(new ReadOnlySpan<byte>(source, DgramSocket.AddressSize), length);
        return significant == _peerLength
            && new ReadOnlySpan<byte>(source, significant).SequenceEqual(new ReadOnlySpan<byte>(_peerAddress, significant));
    }

    /// <summary>The sender becomes the peer (owner thread; the sender is a named socket).</summary>
    private void LearnPeer(byte* source, int length)
    {
        int significant = DgramSocket.Significant(new ReadOnlySpan<byte>(source, DgramSocket.AddressSize), length);
        Interlocked.Increment(ref _peerSequence);
        new ReadOnlySpan<byte>(source, significant).CopyTo(new Span<byte>(_peerAddress, DgramSocket.AddressSize));
        new Span<byte>(_peerAddress + significant, DgramSocket.AddressSize - significant).Clear();
        Volatile.Write(ref _peerLength, significant);
        Interlocked.Increment(ref _peerSequence);
    }

    /// <summary>The peer went away (sendmmsg said so, or a probe): the port goes down and a learned peer is forgotten.</summary>
    private void PeerGone(int errno)
    {
        SetState(PortState.LinkDown, errno == Errno.ENOENT ? ReasonPeerNoFile : ReasonPeerRefused);
        Volatile.Write(ref _peerChanges, _peerChanges + 1);
        if (!PeerIsFixed)
        {
            Interlocked.Increment(ref _peerSequence);
            Volatile.Write(ref _peerLength, 0);
            Interlocked.Increment(ref _peerSequence);
        }
    }

    /// <summary>The peer sent a frame: the port is up (a change only after it was down).</summary>
    private void PeerHeard()
    {
        if (State != PortState.Up)
        {
            SetState(PortState.Up, null);
            Volatile.Write(ref _peerChanges, _peerChanges + 1);
        }
    }

    /// <summary>
    /// A datagram from someone else while a learned peer is known: whether the peer is still there, asked at most once
    /// a second by connecting the probe socket to its path (nothing is sent). False when it is gone (and forgotten).
    /// </summary>
    private bool PeerStillThere()
    {
        long now = Environment.TickCount64;
        if (PeerIsFixed || now - _lastProbe < ProbeIntervalMs)
        {
            return true;
        }

        _lastProbe = now;
        if (DgramSocket.Connect(_probe.Value, _peerAddress, (uint)_peerLength) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno is Errno.ENOENT or DgramSocket.ECONNREFUSED)
        {
            PeerGone(errno);
            return false;
        }

        return true;
    }
}
