using System.Runtime.CompilerServices;
using FastBridge.Offloads;

namespace FastBridge.Buffers;

/// <summary>
/// A handle to one frame buffer of a <see cref="PacketPool"/>: a pool and an index, nothing on the GC heap. Copying
/// the handle does not copy the frame; ownership moves with the handle and the reference count says how many holders
/// (output ports of a flood) still need it.
/// </summary>
public readonly struct Packet : IEquatable<Packet>
{
    private readonly PacketPool? _pool;
    private readonly int _index;

    internal Packet(PacketPool pool, int index)
    {
        _pool = pool;
        _index = index;
    }

    public bool IsNull => _pool is null;

    internal int Index => _index;

    internal PacketPool Pool => _pool!;

    /// <summary>Bytes the buffer can hold.</summary>
    public int Capacity => _pool!.CapacityOf(_index);

    /// <summary>Length of the frame in the buffer.</summary>
    public int Length
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _pool!.LengthOf(_index);
    }

    /// <summary>The frame's bytes.</summary>
    public Span<byte> Span
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _pool!.SpanOf(_index, _pool.LengthOf(_index));
    }

    /// <summary>The whole buffer, for a port that fills it before calling <see cref="SetLength"/>.</summary>
    public Span<byte> Buffer => _pool!.SpanOf(_index, _pool.CapacityOf(_index));

    /// <summary>Sets the frame length after the buffer was filled.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetLength(int length) => _pool!.SetLength(_index, length);

    /// <summary>
    /// The frame's offload metadata (pending checksum, GSO super-frame), all-zero for an ordinary frame. Written by
    /// the port that received the frame before it is shared; read by the ports it is sent to.
    /// </summary>
    public ref OffloadInfo Offload
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _pool!.OffloadOf(_index);
    }

    /// <summary>
    /// Address of the buffer, for ports that hand it to a system call. Safe to use while the caller holds a reference
    /// to the frame (the buffer does not move: native slab) and for at most <see cref="Capacity"/> bytes.
    /// </summary>
    public unsafe byte* Pointer => _pool!.PointerOf(_index);

    /// <summary>Adds <paramref name="count"/> references, for a holder that keeps the frame after the call it got it in.</summary>
    public void AddRef(int count = 1) => _pool!.AddRef(_index, count);

    /// <summary>Drops one reference; the buffer goes back to its pool when the last one is dropped.</summary>
    public void Release() => _pool!.Release(_index);

    public bool Equals(Packet other) => ReferenceEquals(_pool, other._pool) && _index == other._index;

    public override bool Equals(object? obj) => obj is Packet other && Equals(other);

    public override int GetHashCode() => _index;

    public static bool operator ==(Packet left, Packet right) => left.Equals(right);

    public static bool operator !=(Packet left, Packet right) => !left.Equals(right);
}
