using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace FastBridge.Cli.Commands;

/// <summary>
/// Whole-number options and arguments, parsed and range-checked by System.CommandLine itself through a
/// <c>CustomParser</c>: a value that is not a number, or is out of range, becomes one parse error in the user's words
/// (<c>--aging: 'abc' is not a number; 0 or more seconds</c>), so the command exits 2 with a usage line. A validator
/// that reads the typed value would throw instead when the text does not convert.
/// </summary>
internal static class Numbers
{
    /// <summary>An <c>int</c> option between <paramref name="min"/> and <paramref name="max"/>.</summary>
    /// <param name="allowed">what is allowed, as the error message says it ("0 or more seconds").</param>
    public static Option<int> Option(string name, int min, int max, string allowed, string description, int defaultValue = 0) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = r => Parse(r, name, min, max, allowed) ?? defaultValue,
    };

    /// <summary>An optional <c>int</c> option (null when not given) between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static Option<int?> OptionalOption(string name, int min, int max, string allowed, string description) => new(name)
    {
        Description = description,
        CustomParser = r => Parse(r, name, min, max, allowed),
    };

    /// <summary>An <c>int</c> argument between <paramref name="min"/> and <paramref name="max"/>.</summary>
    public static Argument<int> Argument(string name, int min, int max, string allowed, string description) => new(name)
    {
        Description = description,
        CustomParser = r => Parse(r, name, min, max, allowed) ?? 0,
    };

    private static int? Parse(ArgumentResult result, string name, int min, int max, string allowed)
    {
        if (result.Tokens.Count == 0)
        {
            return null;
        }

        string text = result.Tokens[^1].Value;
        if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
        {
            result.AddError($"{name}: '{text}' is not a whole number; {allowed}");
            return null;
        }

        if (value < min || value > max)
        {
            result.AddError($"{name}: {text} is out of range; {allowed}");
            return null;
        }

        return (int)value;
    }
}
