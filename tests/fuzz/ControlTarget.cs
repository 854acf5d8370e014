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
/// runs through the server's own code, without a socket: <see cref="ControlLineFramer"/> (split on '\n', fed in
/// <see cref="ReadSize"/>-byte reads), <see cref="ControlConnection.IsBlank"/>, <see cref="ControlRateLimit"/>,
/// <see cref="ControlConnection.TryParse"/>, <see cref="ControlVerbs.Execute"/> against a <see cref="Bridge"/> with two
/// <see cref="MemoryPort"/>s, and <see cref="ControlConnection.WriteResponse"/>.
/// </summary>
/// <remarks>
/// <para>
/// Deterministic, so that AFL's coverage of an input is the same on every run: each input gets a new bridge, rate
/// limit, fdb-show list pool and <see cref="FuzzClock"/> (nothing carries over from the previous input); under AFL the
/// bridge is not started (no worker thread, no housekeeping timer calls the instrumented MAC table behind the input's
/// back); the clock moves <see cref="Step"/> per request line, never by itself. The limits are scaled down so that
/// small inputs reach them: a <see cref="MaxRequestBytes"/> line limit (the smallest the server accepts) and a budget
/// of <see cref="RequestsPerSecond"/> requests a second.
/// </para>
/// <para>
/// Not driven (and why): the socket, SCM_RIGHTS, peer credentials and the idle timeout (no bytes to fuzz; the harness
/// is the socket's owner, so every verb is allowed), and <c>port-add</c> unless <c>"fd": true</c>: by name it opens or
/// creates a real TAP device, so the harness answers it itself with an error and never dispatches it. With
/// <c>"fd": true</c> it is dispatched: no descriptor ever comes with a fuzzed line, so the verb refuses it without
/// touching the system.
/// </para>
/// <para>
/// Invariants (a violation throws, which AFL records as a crash): nothing throws out of framing, parsing or dispatch;
/// every response is exactly one line of JSON, an object whose <c>ok</c> is true (and has no <c>error</c>) or false
/// with a non-empty <c>error</c>; the responses are, in order and in number, what a naive model of the framing predicts
/// (one per non-blank line, a "request longer than" error per line over the limit, terminated or not, nothing for a
/// cut-off last line within the limit); a verb never keeps a descriptor it was not given; the bridge ends with no port
/// but p0 and p1. On replay (not under AFL) the bridge is started, and after each input a broadcast injected on p0
/// must come out of p1 within two seconds.
/// </para>
/// </remarks>
internal static class ControlTarget
{
    /// <summary>The line limit: the smallest <see cref="ControlServerOptions.MaxRequestBytes"/> allows (64 KiB in production).</summary>
    public const int MaxRequestBytes = 256;

    /// <summary>Bytes per emulated read (4 KiB in production): small, so that small inputs cross read boundaries.</summary>
    public const int ReadSize = 64;

    /// <summary>The request budget (100 a second in production): with <see cref="Step"/>, the 11th quick request is limited.</summary>
    public const int RequestsPerSecond = 10;

    /// <summary>How far the clock moves per request line: the budget refills by half a request per line.</summary>
    public static readonly TimeSpan Step = TimeSpan.FromMilliseconds(50);

    /// <summary>FASTBRIDGE_FUZZ_TRACE=1: print every response to stderr (for replaying one input by hand).</summary>
    public static readonly bool Trace = Environment.GetEnvironmentVariable("FASTBRIDGE_FUZZ_TRACE") == "1";

    private static readonly byte[] s_probe = BuildProbe();
    private static readonly ArrayBufferWriter<byte> s_output = new();
    private static readonly Utf8JsonWriter s_json = new(s_output);
    private static readonly List<bool> s_expected = [];
    private static readonly List<bool> s_actual = [];

    /// <summary>One input on a fresh bridge: every line answered and checked; with <paramref name="started"/>, switching too.</summary>
    public static void Run(byte[] input, bool started)
    {
        var clock = new FuzzClock();
        using var bridge = new Bridge(new BridgeOptions
        {
            Name = "fuzz",
            Workers = 1,
            PoolFrames = 64,
            LargePoolFrames = 0,
            MaxMacs = 64,
            Time = clock,
        });
        bridge.AddPort(new MemoryPort("p0", queueSize: 16));
        bridge.AddPort(new MemoryPort("p1", queueSize: 16));
        if (started)
        {
            bridge.Start();
        }

        var session = new Session(bridge, clock, new ControlRateLimit(RequestsPerSecond, clock), ControlServer.CreateEntryLists());
        Serve(input, session);
        ExpectFraming(input);
        CheckPorts(bridge);
        if (started)
        {
            CheckSwitching(bridge);
        }
    }

    /// <summary>What ControlConnection.ProcessAsync does with the input, read by read, recording each response's kind.</summary>
    private static void Serve(byte[] input, Session session)
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
                    session.Clock.Advance(Step);
                    Respond(Handle(line, session), tooLong: false);
                }
            }

            consumed = buffer.Start;
            if (completed)
            {
                return;
            }
        }
    }

    /// <summary>ControlConnection.HandleAsync, with port-add by name neutralised.</summary>
    private static ControlResponse Handle(ReadOnlySequence<byte> line, Session session)
    {
        if (!session.RateLimit.TryTake())
        {
            return session.RateLimit.Refusal();
        }

        if (!ControlConnection.TryParse(line, out ControlRequest? request, out ControlResponse? invalid))
        {
            return invalid;
        }

        if (request.Verb == "port-add" && request.Fd != true)
        {
            return ControlResponse.Failure("fuzz harness: port-add by name is not dispatched (it would create a TAP device)");
        }

        int fd = -1;
        ControlResponse response = ControlVerbs.Execute(session.Bridge, request, ref fd, session.EntryLists);
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

    /// <summary>No verb may add a port (port-add by name is never dispatched, by fd never has a descriptor).</summary>
    private static void CheckPorts(Bridge bridge)
    {
        foreach (Port port in bridge.Ports)
        {
            if (port.Name is not ("p0" or "p1"))
            {
                throw new InvalidOperationException($"the bridge has ports [{string.Join(", ", bridge.Ports.Select(p => p.Name))}], not only p0 and p1");
            }
        }
    }

    /// <summary>
    /// A broadcast injected on p0 comes out of p1, unchanged, within two seconds (and not out of p0): the verbs left a
    /// switch that switches. Ports a verb removed are added back and static entries flushed first (a static entry for
    /// the probe's source on p1 would rightly drop it).
    /// </summary>
    private static void CheckSwitching(Bridge bridge)
    {
        MemoryPort p0 = (bridge.FindPort("p0") as MemoryPort) ?? Add(bridge, "p0");
        MemoryPort p1 = (bridge.FindPort("p1") as MemoryPort) ?? Add(bridge, "p1");
        bridge.MacTable.Flush(includeStatic: true);
        if (!p0.TryInject(s_probe))
        {
            throw new InvalidOperationException($"cannot inject on p0 (state {p0.State})");
        }

        Span<byte> received = stackalloc byte[256];
        long deadline = Environment.TickCount64 + 2000;
        int length;
        while (!p1.TryTake(received, out length))
        {
            if (Environment.TickCount64 > deadline)
            {
                throw new InvalidOperationException($"a broadcast injected on p0 did not come out of p1 within 2 s (p0 {p0.State}, p1 {p1.State})");
            }

            Thread.Sleep(1);
        }

        if (!received[..length].SequenceEqual(s_probe) || p0.Pending != 0)
        {
            throw new InvalidOperationException($"the probe came out of p1 changed ({length} bytes) or also out of p0 ({p0.Pending})");
        }

        static MemoryPort Add(Bridge bridge, string name)
        {
            var port = new MemoryPort(name, queueSize: 16);
            bridge.AddPort(port);
            return port;
        }
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

/// <summary>What one input's requests run against; all of it new for each input.</summary>
internal sealed record Session(Bridge Bridge, FuzzClock Clock, ControlRateLimit RateLimit, ObjectPool<List<MacEntry>> EntryLists);
