using System.Buffers.Binary;
using System.Reflection;
using FastBridge.Frames;
using SharpFuzz;

namespace FastBridge.Fuzz;

/// <summary>
/// SharpFuzz targets, run under AFL++ by <c>tests/fuzz/run.sh TARGET SECONDS</c>:
/// <list type="bullet">
/// <item><c>parser</c>: the input, as one frame: <c>FrameParser.ParseScalar</c> and <c>ParseVector128</c> must not throw,
/// must agree field by field, and must name the drop reason the reference rule (written from
/// <see cref="Diagnostics.DropReason"/>'s documentation) gives; then, read as a switch configuration and a sequence
/// of frames, through the worker's receive side on bursts, against an oracle (see <see cref="FramePathTarget"/>).
/// Any disagreement throws, which AFL records as a crash.</item>
/// <item><c>control</c>: the input is what a control-socket client sends; it goes through the server's own framing,
/// rate limit, parsing and dispatch against a fresh bridge with two memory ports, deterministically (an injected
/// clock, no threads), and every response is checked (see <see cref="ControlTarget"/>, which also lists what is not
/// driven: port-add by name never is).</item>
/// <item><c>replay TARGET DIR</c>: runs every file of DIR through TARGET in this process, without AFL (a smoke test, and
/// how run.sh re-checks a corpus or a crash).</item>
/// </list>
/// The parse paths are internal; they are bound once by reflection. (FastBridge.Fuzz has since become a friend
/// assembly for the control target, which calls ControlConnection's and ControlVerbs' internal functions directly.)
/// </summary>
internal static class Program
{
    private static readonly ParseFunction s_scalar = Bind("ParseScalar");
    private static readonly ParseFunction s_vector = Bind("ParseVector128");

    private delegate void ParseFunction(ReadOnlySpan<byte> frame, out FrameInfo info);

    public static int Main(string[] args)
    {
        string target = args.Length > 0 ? args[0] : string.Empty;
        if ((VhostTargets.For(target) ?? VxlanDecapTarget.For(target) ?? DgramReceiveTarget.For(target)) is { } vhost)
        {
            Fuzzer.Run(stream => vhost(ReadAll(stream)));
            return 0;
        }

        switch (target)
        {
            case "parser":
                Fuzzer.Run(stream => FramePath(ReadAll(stream)));
                return 0;
            case "control":
                // Nothing set up before Fuzzer.Run: instrumented code must not run before AFL's shared memory is
                // mapped, and every input gets its own bridge anyway (see ControlTarget).
                Fuzzer.Run(stream => ControlTarget.Run(ReadAll(stream), started: false));
                return 0;
            case "ring":
                Fuzzer.Run(stream => RingFrameTarget.Run(ReadAll(stream)));
                return 0;
            case "stream":
                Fuzzer.Run(stream => StreamFramingTarget.Run(ReadAll(stream)));
                return 0;
            case "replay" when args.Length == 3:
                return Replay(args[1], args[2]);
            default:
                Console.Error.WriteLine("usage: FastBridge.Fuzz parser | control | ring | stream | replay TARGET DIR");
                return 2;
        }
    }

    /// <summary>The parser target: the whole input as one frame, then as bursts of frames through a worker.</summary>
    private static void FramePath(byte[] input)
    {
        Parser(input);
        FramePathTarget.Run(input);
    }

    /// <summary>Both parse paths agree with each other and with the reference rule, on any bytes.</summary>
    internal static void Parser(ReadOnlySpan<byte> frame)
    {
        s_scalar(frame, out FrameInfo scalar);
        s_vector(frame, out FrameInfo vector);
        if (!Same(scalar, vector))
        {
            throw new InvalidOperationException($"scalar and vector parse differ on {frame.Length} bytes:\n scalar {Format(scalar)}\n vector {Format(vector)}");
        }

        Diagnostics.DropReason expected = Reference(frame);
        if (scalar.Drop != expected)
        {
            throw new InvalidOperationException($"parser says {scalar.Drop}, the reference rule {expected}, on {frame.Length} bytes: {Format(scalar)}");
        }

        if (scalar.Drop == Diagnostics.DropReason.None && (scalar.PayloadOffset > frame.Length || scalar.TagCount > 2))
        {
            throw new InvalidOperationException($"accepted frame with payload offset {scalar.PayloadOffset} / {scalar.TagCount} tags in {frame.Length} bytes");
        }
    }

    /// <summary>Runt, oversize, invalid source, truncated tag, in that order (see FrameParser's remarks).</summary>
    private static Diagnostics.DropReason Reference(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return Diagnostics.DropReason.Runt;
        }

        if (frame.Length > 65_536)
        {
            return Diagnostics.DropReason.Oversize;
        }

        ReadOnlySpan<byte> source = frame.Slice(6, 6);
        if ((source[0] & 1) != 0 || !source.ContainsAnyExcept((byte)0))
        {
            return Diagnostics.DropReason.InvalidSource;
        }

        if (FrameParser.IsTpid(BinaryPrimitives.ReadUInt16BigEndian(frame[12..])))
        {
            if (frame.Length < 18 || (FrameParser.IsTpid(BinaryPrimitives.ReadUInt16BigEndian(frame[16..])) && frame.Length < 22))
            {
                return Diagnostics.DropReason.TruncatedTag;
            }
        }

        return Diagnostics.DropReason.None;
    }

    private static int Replay(string target, string directory)
    {
        Action<byte[]> run;
        switch (target)
        {
            case "parser":
                run = FramePath;
                break;
            case "control":
                run = input => ControlTarget.Run(input, started: true);
                break;
            case "ring":
                run = input => RingFrameTarget.Run(input);
                break;
            case "stream":
                run = input => StreamFramingTarget.Run(input);
                break;
            default:
                if ((VhostTargets.For(target) ?? VxlanDecapTarget.For(target) ?? DgramReceiveTarget.For(target)) is not { } vhost)
                {
                    return 2;
                }

                run = vhost;
                break;
        }

        int files = 0;
        int failures = 0;
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            files++;
            try
            {
                run(File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures++;
                string where = string.Join('\n', (e.StackTrace ?? "").Split('\n').Take(6));
                Console.Error.WriteLine($"{file}: {e.GetType().Name}: {e.Message}\n{where}");
            }
        }

        Console.WriteLine($"replayed {files} inputs through '{target}': {failures} failures");
        return failures == 0 ? 0 : 1;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    private static ParseFunction Bind(string name)
    {
        MethodInfo method = typeof(FrameParser).GetMethod(name, BindingFlags.Static | BindingFlags.NonPublic)
            ?? throw new MissingMethodException(nameof(FrameParser), name);
        return method.CreateDelegate<ParseFunction>();
    }

    private static bool Same(in FrameInfo a, in FrameInfo b) =>
        a.Destination == b.Destination && a.Source == b.Source && a.EtherType == b.EtherType && a.VlanId == b.VlanId
        && a.InnerVlanId == b.InnerVlanId && a.OuterTpid == b.OuterTpid && a.Priority == b.Priority
        && a.InnerPriority == b.InnerPriority && a.TagCount == b.TagCount && a.PayloadOffset == b.PayloadOffset
        && a.Class == b.Class && a.Drop == b.Drop;

    private static string Format(in FrameInfo i) =>
        $"dst={i.DestinationMac} src={i.SourceMac} type=0x{i.EtherType:X4} vid={i.VlanId} ivid={i.InnerVlanId} tpid=0x{i.OuterTpid:X4} " +
        $"pcp={i.Priority}/{i.InnerPriority} tags={i.TagCount} payload@{i.PayloadOffset} class={i.Class} drop={i.Drop}";
}
