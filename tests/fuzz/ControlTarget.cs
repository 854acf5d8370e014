using System.Buffers;
using System.Text;
using System.Text.Json;
using FastBridge.Control;
using FastBridge.Ports;
using FastBridge.Switching;
using Microsoft.Extensions.ObjectPool;

namespace FastBridge.Fuzz;

/// <summary>
/// The <c>control</c> target: the input is the byte stream a control client sends (request lines, or anything). It
/// runs through the server's own code, without a socket: <see cref="ControlLineFramer"/> (split on '\n', 64 KiB limit,
/// fed in 4 KiB reads as the connection's pipe delivers them), <see cref="ControlConnection.IsBlank"/>,
/// <see cref="ControlConnection.TryParse"/>, <see cref="ControlVerbs.Execute"/> against a real started
/// <see cref="Bridge"/> with two <see cref="MemoryPort"/>s, and <see cref="ControlConnection.WriteResponse"/>.
/// </summary>
/// <remarks>
/// <para>
/// Not driven (and why): the socket, SCM_RIGHTS and peer credentials (no bytes to fuzz; the harness is the socket's
/// owner, so every verb is allowed), the rate limit (time-based: it would make AFL's runs unstable; it answers before
/// parsing anyway), and <c>port-add</c> unless <c>"fd": true</c>: by name it opens or creates a real TAP device, so the
/// harness answers it itself with an error and never dispatches it. With <c>"fd": true</c> it is dispatched: no
/// descriptor ever comes with a fuzzed line, so the verb refuses it without touching the system.
/// </para>
/// <para>
/// Invariants (a violation throws, which AFL records as a crash): nothing throws out of framing, parsing or dispatch;
/// every response is exactly one line of JSON, an object whose <c>ok</c> is true (and has no <c>error</c>) or false
/// with a non-empty <c>error</c>; the responses are, in order and in number, what a naive model of the framing predicts
/// (one per non-blank line, a "request longer than" error per line over the limit, terminated or not, nothing for a
/// cut-off last line within the limit); a verb never keeps a descriptor it was not given. After every input the
/// bridge is put back to its initial state (the two ports present, table flushed including static entries, default
/// capacity and aging), so memory cannot grow with the number of inputs; every <see cref="CheckEvery"/> inputs (and
/// after every input on replay) a broadcast frame injected on p0 must come out of p1 within two seconds.
/// </para>
/// </remarks>
internal static class ControlTarget
{
    /// <summary>The server's limit (<see cref="ControlServerOptions.MaxRequestBytes"/>'s default).</summary>
    public static readonly int MaxRequestBytes = new ControlServerOptions().MaxRequestBytes;

    /// <summary>Bytes per emulated read: what the connection's fill loop asks the pipe for (GetMemory(4096)).</summary>
    public const int ReadSize = 4096;

    public const int CheckEvery = 1000;

    /// <summary>FASTBRIDGE_FUZZ_TRACE=1: print every response to stderr (for replaying one input by hand).</summary>
    public static readonly bool Trace = Environment.GetEnvironmentVariable("FASTBRIDGE_FUZZ_TRACE") == "1";

    private static readonly byte[] s_probe = BuildProbe();
    private static readonly ArrayBufferWriter<byte> s_output = new();
    private static readonly Utf8JsonWriter s_json = new(s_output);
    private static readonly ObjectPool<List<MacEntry>> s_entryLists = ControlServer.CreateEntryLists();
    private static readonly List<bool> s_expected = [];
    private static readonly List<bool> s_actual = [];
    private static Bridge? s_bridge;
    private static MemoryPort s_p0 = null!;
    private static MemoryPort s_p1 = null!;
    private static int s_initialCapacity;
    private static int s_initialAging;
    private static long s_inputs;

    /// <summary>Creates and starts the bridge, once per process (on the first input: see Program.Main).</summary>
    private static void Setup()
    {
        if (s_bridge is not null)
        {
            return;
        }

        s_bridge = new Bridge(new BridgeOptions { Name = "fuzz", Workers = 1, PoolFrames = 256, LargePoolFrames = 0 });
        s_p0 = new MemoryPort("p0", queueSize: 64);
        s_p1 = new MemoryPort("p1", queueSize: 64);
        s_bridge.AddPort(s_p0);
        s_bridge.AddPort(s_p1);
        s_bridge.Start();
        s_initialCapacity = s_bridge.MacTable.Capacity;
        s_initialAging = s_bridge.MacTable.AgingSeconds;
        CheckSwitching();
    }

    /// <summary>One input: every line answered and checked, the bridge reset, and now and then its switching checked.</summary>
    public static void Run(byte[] input, bool checkSwitching)
    {
        Setup();
        Bridge bridge = s_bridge!;
        Serve(input, bridge);
        ExpectFraming(input);
        Reset(bridge);
        if (checkSwitching || ++s_inputs % CheckEvery == 0)
        {
            CheckSwitching();
        }
    }

    /// <summary>What ControlConnection.ProcessAsync does with the input, read by read, recording each response's kind.</summary>
    private static void Serve(byte[] input, Bridge bridge)
    {
        s_actual.Clear();
        var framer = new ControlLineFramer(MaxRequestBytes);
        ReadOnlySequence<byte> all = Segments(input);
        SequencePosition consumed = all.Start;
        long arrived = 0;
        while (true)
        {
            arrived = Math.Min(input.Length, arrived + ReadSize);
            bool completed = arrived == input.Length; // the client closed its end after its last byte
            ReadOnlySequence<byte> buffer = all.Slice(consumed, all.GetPosition(arrived));
            while (true)
            {
                ControlLineFramer.Cut cut = framer.Next(ref buffer, out ReadOnlySequence<byte> line);
                if (cut == ControlLineFramer.Cut.NeedMore)
                {
                    break;
                }

                if (cut == ControlLineFramer.Cut.TooLong)
                {
                    Respond(ControlConnection.TooLong(MaxRequestBytes), tooLong: true);
                    continue;
                }

                if (line.Length > MaxRequestBytes || line.PositionOf((byte)'\n') is not null)
                {
                    throw new InvalidOperationException($"the framer passed on a line of {line.Length} bytes (limit {MaxRequestBytes}) or one with a newline");
                }

                if (!ControlConnection.IsBlank(line))
                {
                    Respond(Handle(line, bridge), tooLong: false);
                }
            }

            consumed = buffer.Start;
            if (completed)
            {
                return;
            }
        }
    }

    /// <summary>ControlConnection.HandleAsync after the rate limit, with port-add by name neutralised.</summary>
    private static ControlResponse Handle(ReadOnlySequence<byte> line, Bridge bridge)
    {
        if (!ControlConnection.TryParse(line, out ControlRequest? request, out ControlResponse? invalid))
        {
            return invalid;
        }

        if (request.Verb == "port-add" && request.Fd != true)
        {
            return ControlResponse.Failure("fuzz harness: port-add by name is not dispatched (it would create a TAP device)");
        }

        int fd = -1;
        ControlResponse response = ControlVerbs.Execute(bridge, request, ref fd, s_entryLists);
        if (fd != -1)
        {
            throw new InvalidOperationException($"'{request.Verb}' set fd to {fd}, and no descriptor came with the request");
        }

        return response;
    }

    private static void Respond(ControlResponse response, bool tooLong)
    {
        s_output.ResetWrittenCount();
        ControlConnection.WriteResponse(s_json, s_output, response);
        if (Trace)
        {
            Console.Error.Write(Show(s_output.WrittenSpan) + "\n");
        }

        CheckResponse(s_output.WrittenSpan);
        s_actual.Add(tooLong);
    }

    private static void CheckResponse(ReadOnlySpan<byte> written)
    {
        if (written.Length < 2 || written[^1] != (byte)'\n' || written[..^1].IndexOfAny((byte)'\n', (byte)'\r') >= 0)
        {
            throw new InvalidOperationException($"response is not one line: {Show(written)}");
        }

        using JsonDocument document = JsonDocument.Parse(written.ToArray().AsMemory(0, written.Length - 1));
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("ok", out JsonElement ok)
            || ok.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidOperationException($"response is not an object with a boolean 'ok': {Show(written)}");
        }

        bool hasError = root.TryGetProperty("error", out JsonElement error);
        if (ok.ValueKind == JsonValueKind.True ? hasError
            : !hasError || error.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(error.GetString()))
        {
            throw new InvalidOperationException($"'ok' and 'error' disagree: {Show(written)}");
        }
    }

    /// <summary>The responses a naive split on '\n' predicts: true for "too long", false for any other response.</summary>
    private static void ExpectFraming(byte[] input)
    {
        s_expected.Clear();
        ReadOnlySpan<byte> rest = input;
        while (true)
        {
            int newline = rest.IndexOf((byte)'\n');
            ReadOnlySpan<byte> line = newline < 0 ? rest : rest[..newline];
            if (line.Length > MaxRequestBytes)
            {
                s_expected.Add(true);
            }
            else if (newline >= 0 && line.ContainsAnyExcept(" \t\r"u8))
            {
                s_expected.Add(false);
            }

            if (newline < 0)
            {
                break;
            }

            rest = rest[(newline + 1)..];
        }

        if (!s_expected.SequenceEqual(s_actual))
        {
            throw new InvalidOperationException(
                $"responses [{Kinds(s_actual)}] but the framing model predicts [{Kinds(s_expected)}] for {input.Length} bytes");
        }

        static string Kinds(List<bool> kinds) => string.Join(' ', kinds.Select(k => k ? "too-long" : "answer"));
    }

    /// <summary>Back to the initial state: both ports in, no entries, default capacity and aging.</summary>
    private static void Reset(Bridge bridge)
    {
        if (bridge.FindPort("p0") is null)
        {
            s_p0 = new MemoryPort("p0", queueSize: 64);
            bridge.AddPort(s_p0);
        }

        if (bridge.FindPort("p1") is null)
        {
            s_p1 = new MemoryPort("p1", queueSize: 64);
            bridge.AddPort(s_p1);
        }

        if (!ReferenceEquals(bridge.FindPort("p0"), s_p0) || !ReferenceEquals(bridge.FindPort("p1"), s_p1) || bridge.Ports.Count != 2)
        {
            throw new InvalidOperationException($"the bridge has ports [{string.Join(", ", bridge.Ports.Select(p => p.Name))}], not p0 and p1");
        }

        MacTable table = bridge.MacTable;
        if (table.Count > 0)
        {
            table.Flush(includeStatic: true);
        }

        if (table.Capacity != s_initialCapacity)
        {
            table.Resize(s_initialCapacity);
        }

        table.AgingSeconds = s_initialAging;
    }

    /// <summary>A broadcast injected on p0 comes out of p1, unchanged, within two seconds (and not out of p0).</summary>
    private static void CheckSwitching()
    {
        Span<byte> received = stackalloc byte[256];
        while (s_p0.TryTake(received, out _) || s_p1.TryTake(received, out _))
        {
        }

        if (!s_p0.TryInject(s_probe))
        {
            throw new InvalidOperationException($"cannot inject on p0 (state {s_p0.State})");
        }

        long deadline = Environment.TickCount64 + 2000;
        int length;
        while (!s_p1.TryTake(received, out length))
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new InvalidOperationException($"a broadcast injected on p0 did not come out of p1 within 2 s (p0 {s_p0.State}, p1 {s_p1.State})");
            }

            Thread.Sleep(0);
        }

        if (!received[..length].SequenceEqual(s_probe) || s_p0.Pending != 0)
        {
            throw new InvalidOperationException($"the probe came out of p1 changed ({length} bytes) or also out of p0 ({s_p0.Pending})");
        }

        s_bridge!.MacTable.Flush(includeStatic: true); // forget the probe's source again
    }

    private static byte[] BuildProbe()
    {
        byte[] frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xFF);
        byte[] source = [0x02, 0xF0, 0x22, 0x00, 0x00, 0x01];
        source.CopyTo(frame, 6);
        frame[12] = 0x88;
        frame[13] = 0xB5; // local experimental EtherType
        "fastbridge control fuzz probe"u8.CopyTo(frame.AsSpan(14));
        return frame;
    }

    /// <summary>The input as a sequence of <see cref="ReadSize"/> segments, like the pipe's buffers.</summary>
    private static ReadOnlySequence<byte> Segments(byte[] input)
    {
        if (input.Length <= ReadSize)
        {
            return new ReadOnlySequence<byte>(input);
        }

        var first = new Segment(input.AsMemory(0, ReadSize), 0);
        Segment last = first;
        for (int offset = ReadSize; offset < input.Length; offset += ReadSize)
        {
            last = last.Append(input.AsMemory(offset, Math.Min(ReadSize, input.Length - offset)));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private static string Show(ReadOnlySpan<byte> bytes) =>
        Encoding.UTF8.GetString(bytes.Length > 300 ? bytes[..300] : bytes).TrimEnd('\n').ReplaceLineEndings("\\n");

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
