using FastBridge.Frames;

namespace FastBridge.Tests.Frames;

/// <summary>Which entry point of <see cref="FrameParser"/> a test drives; parser tests run on each of them.</summary>
public enum ParserPath
{
    Scalar,
    Vector128,
    Dispatch,
}

internal static class ParserPaths
{
    public static TheoryData<ParserPath> All => [ParserPath.Scalar, ParserPath.Vector128, ParserPath.Dispatch];

    public static FrameInfo Parse(this ParserPath path, ReadOnlySpan<byte> frame)
    {
        FrameInfo info;
        switch (path)
        {
            case ParserPath.Scalar:
                FrameParser.ParseScalar(frame, out info);
                break;
            case ParserPath.Vector128:
                FrameParser.ParseVector128(frame, out info);
                break;
            default:
                FrameParser.Parse(frame, out info);
                break;
        }

        return info;
    }
}
