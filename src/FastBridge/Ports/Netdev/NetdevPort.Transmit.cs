using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;
using FastBridge.Offloads;

namespace FastBridge.Ports.Netdev;

/// <summary>The transmit path: one sendmmsg per burst, its messages (and, with offloads, each frame's virtio-net header) on the calling thread's stack.</summary>
public sealed unsafe partial class NetdevPort
{
    private const string ReasonSendDown = "interface down (send: ENETDOWN)";
    private const string ReasonSendGone = "interface deleted (send: ENXIO)";
    private const string ReasonSentAgain = "link up again (frame sent)";

    /// <summary>Most frames one sendmmsg takes (the engine's bursts are 64).</summary>
    private const int MaxBatch = 64;

    /// <summary>Bytes per frame of the virtio-net headers' stack area (the 10-byte header, 8-aligned).</summary>
    private const int HeaderStride = 16;

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        if (State == PortState.Gone)
        {
            outcome[..frames.Length].Fill(DropReason.PortDown);
            return;
        }

        MmsgHdr* messages = stackalloc MmsgHdr[MaxBatch];
        IoVec* pieces = stackalloc IoVec[2 * MaxBatch];
        byte* headers = stackalloc byte[MaxBatch * HeaderStride];
        int* which = stackalloc int[MaxBatch];
        bool offloads = _offloads;
        bool metadata = offloads && !frames.IsEmpty && frames[0].Pool.OffloadsSeen;
        int piecesPerFrame = offloads ? 2 : 1;
        int done = 0;
        bool anySent = false;
        while (done < frames.Length)
        {
            int batch = 0;
            for (; done < frames.Length && batch < MaxBatch; done++)
            {
                Packet frame = frames[done];
                bool super = metadata && frame.Offload.GsoType != GsoType.None;
                if (frame.Length > MaxFrameLength && !super)
                {
                    outcome[done] = DropReason.TxOverMtu; // the kernel would refuse it (EMSGSIZE): never sent cut
                    continue;
                }

                IoVec* piece = pieces + (batch * piecesPerFrame);
                if (offloads)
                {
                    byte* header = headers + (batch * HeaderStride);
                    if (metadata)
                    {
                        VnetHeader.Write(new Span<byte>(header, VnetHeader.Size), frame.Offload);
                        if (super)
                        {
                            Interlocked.Increment(ref _txSuperFrames); // transmit runs on several workers at once
                        }
                    }
                    else
                    {
                        new Span<byte>(header, VnetHeader.Size).Clear();
                    }

                    piece->Base = header;
                    piece->Length = VnetHeader.Size;
                    piece++;
                }

                piece->Base = frame.Pointer;
                piece->Length = (nuint)frame.Length;
                messages[batch] = default;
                messages[batch].Header.Iov = pieces + (batch * piecesPerFrame);
                messages[batch].Header.IovLength = (nuint)piecesPerFrame;
                which[batch++] = done;
            }

            int sent = 0;
            while (sent < batch)
            {
                int n = PacketSocket.SendMany(_fdNumber, messages + sent, (uint)(batch - sent), out int errno);
                if (n > 0)
                {
                    for (int k = sent; k < sent + n; k++)
                    {
                        outcome[which[k]] = DropReason.None;
                    }

                    sent += n;
                    anySent = true;
                    continue;
                }

                DropReason reason = OnSendError(errno);
                if (reason == DropReason.PortDown)
                {
                    for (int k = sent; k < batch; k++)
                    {
                        outcome[which[k]] = DropReason.PortDown;
                    }

                    outcome[done..frames.Length].Fill(DropReason.PortDown);
                    return; // the rest of the burst would fail the same way
                }

                outcome[which[sent]] = reason; // this one frame was refused (too long, no buffer, a bad header): go on after it
                sent++;
            }
        }

        if (anySent && State == PortState.LinkDown)
        {
            SetState(PortState.Up, ReasonSentAgain);
        }
    }

    private DropReason OnSendError(int errno)
    {
        switch (errno)
        {
            case Errno.ENETDOWN:
                SetState(PortState.LinkDown, ReasonSendDown);
                return DropReason.PortDown;
            case Errno.ENXIO or Errno.ENODEV:
                SetState(PortState.Gone, ReasonSendGone);
                return DropReason.PortDown;
            case Errno.EMSGSIZE:
                return DropReason.TxOverMtu; // longer than the interface takes (the check before sending missed it: MTU changed)
            default:
                return DropReason.TxError; // ENOBUFS, EAGAIN, EINVAL (a virtio-net header the kernel refused)
        }
    }
}
