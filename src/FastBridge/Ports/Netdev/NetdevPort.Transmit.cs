using FastBridge.Buffers;
using FastBridge.Diagnostics;
using FastBridge.Interop;

namespace FastBridge.Ports.Netdev;

/// <summary>The transmit path: one sendmmsg per burst, its messages on the calling thread's stack.</summary>
public sealed unsafe partial class NetdevPort
{
    private const string ReasonSendDown = "interface down (send: ENETDOWN)";
    private const string ReasonSendGone = "interface deleted (send: ENXIO)";
    private const string ReasonSentAgain = "link up again (frame sent)";

    /// <summary>Most frames one sendmmsg takes (the engine's bursts are 64).</summary>
    private const int MaxBatch = 64;

    protected internal override void Transmit(ReadOnlySpan<Packet> frames, Span<DropReason> outcome)
    {
        if (State == PortState.Gone)
        {
            outcome[..frames.Length].Fill(DropReason.PortDown);
            return;
        }

        MmsgHdr* messages = stackalloc MmsgHdr[MaxBatch];
        IoVec* pieces = stackalloc IoVec[MaxBatch];
        int done = 0;
        bool anySent = false;
        while (done < frames.Length)
        {
            int batch = Math.Min(frames.Length - done, MaxBatch);
            for (int i = 0; i < batch; i++)
            {
                Packet frame = frames[done + i];
                pieces[i].Base = frame.Pointer;
                pieces[i].Length = (nuint)frame.Length;
                messages[i] = default;
                messages[i].Header.Iov = pieces + i;
                messages[i].Header.IovLength = 1;
            }

            int sent = 0;
            while (sent < batch)
            {
                int n = PacketSocket.SendMany(_fdNumber, messages + sent, (uint)(batch - sent), out int errno);
                if (n > 0)
                {
                    outcome.Slice(done + sent, n).Fill(DropReason.None);
                    sent += n;
                    anySent = true;
                    continue;
                }

                DropReason reason = OnSendError(errno);
                if (reason == DropReason.PortDown)
                {
                    outcome.Slice(done + sent, frames.Length - done - sent).Fill(DropReason.PortDown);
                    return; // the rest of the burst would fail the same way
                }

                outcome[done + sent] = reason; // this one frame was refused (too long, no buffer): go on after it
                sent++;
            }

            done += batch;
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
            default:
                return DropReason.TxError; // EMSGSIZE (over the MTU), ENOBUFS, EAGAIN
        }
    }
}
