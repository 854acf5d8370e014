using System.Runtime.InteropServices;
using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports.QemuDgram;

/// <summary>The transmit path: one datagram per frame to the peer, pointing at the frame's buffer, one sendmmsg per batch.</summary>
public sealed unsafe partial class DgramPort
{
    /// <summary>Datagrams one sendmmsg takes.</summary>
    private const int MaxSendBatch = 64;

    private byte* _txMemory;
    private MmsgHdr* _txMessages;
    private IoVec* _txPieces;
    private readonly int[] _txFrameOf = new int[MaxSendBatch];

    private void AllocateTransmit()
    {
        int size = (MaxSendBatch * sizeof(MmsgHdr)) + (MaxSendBatch * sizeof(IoVec));
        _txMemory = (byte*)NativeMemory.AllocZeroed((nuint)size);
        _txMessages = (MmsgHdr*)_txMemory;
        _txPieces = (IoVec*)(_txMessages + MaxSendBatch);
    }

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        int f = 0;
        while (f < frames.Length)
        {
            if (State != PortState.Up || _peerLength == 0)
            {
                outcome[f..frames.Length].Fill(DropReason.PortDown); // no peer to send to (or it just went away)
                return;
            }

            int messages = 0;
            for (; f < frames.Length && messages < MaxSendBatch; f++)
            {
                Packet frame = frames[f];
                if ((uint)(frame.Length - 1) >= MaxFrameLength)
                {
                    outcome[f] = DropReason.TxError; // empty, or longer than a datagram the peer takes (super-frames are cut before)
                    continue;
                }

                outcome[f] = DropReason.TxError; // until its datagram leaves
                IoVec* piece = _txPieces + messages;
                piece->Base = frame.Pointer;
                piece->Length = (nuint)frame.Length;
                MmsgHdr* message = _txMessages + messages;
                message->Header.Name = _peerAddress;
                message->Header.NameLength = (uint)_peerLength;
                message->Header.Iov = piece;
                message->Header.IovLength = 1;
                message->Header.Control = null;
                message->Header.ControlLength = 0;
                message->Header.Flags = 0;
                message->Length = 0;
                _txFrameOf[messages++] = f;
            }

            Send(messages, outcome);
        }
    }

    /// <summary>Sends <paramref name="count"/> prepared datagrams; sets the outcome of each one's frame.</summary>
    private void Send(int count, Span<DropReason> outcome)
    {
        int done = 0;
        while (done < count)
        {
            int n = Libc.SendMany(_fd, _txMessages + done, (uint)(count - done), out int errno);
            if (n > 0)
            {
                for (int m = done; m < done + n; m++)
                {
                    outcome[_txFrameOf[m]] = DropReason.None;
                }

                done += n;
                continue;
            }

            switch (errno)
            {
                case Errno.EINTR:
                    continue;
                case Errno.EAGAIN or Errno.ENOBUFS:
                    Fill(outcome, done, count, DropReason.RingFull); // the peer's queue is full: the rest would be refused too
                    return;
                case Errno.ENOENT or DgramSocket.ECONNREFUSED:
                    PeerGone(errno);
                    Fill(outcome, done, count, DropReason.PortDown);
                    return;
                default:
                    done++; // this datagram was refused (EMSGSIZE, a permission taken away): it stays tx-error
                    break;
            }
        }
    }

    private void Fill(Span<DropReason> outcome, int from, int to, DropReason reason)
    {
        for (int m = from; m < to; m++)
        {
            outcome[_txFrameOf[m]] = reason;
        }
    }
}
