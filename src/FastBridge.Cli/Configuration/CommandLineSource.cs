using Microsoft.Extensions.Configuration;

namespace FastBridge.Cli.Configuration;

/// <summary>
/// The flags of <c>fastbridge run</c> that System.CommandLine has parsed and checked, as a configuration source above
/// the config file: a flag's value replaces the file member of the same meaning, and a list given on the command line
/// (<c>--tap</c> for <c>ports</c>, <c>--vxlan</c> for <c>vxlan</c>) replaces the file's whole list rather than
/// overlaying it entry by entry, as configuration would by itself.
/// </summary>
internal sealed class CommandLineSource : IConfigurationSource
{
    private readonly Dictionary<string, string?> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _lists = [];

    /// <summary>Sets member <paramref name="key"/> (a file member's name) to <paramref name="value"/>.</summary>
    public void Set(string key, string value) => _values[key] = value;

    /// <summary>Sets list member <paramref name="key"/> to <paramref name="items"/> in place of the file's list.</summary>
    public void SetList(string key, IReadOnlyList<string> items)
    {
        _lists.Add(key);
        for (int i = 0; i < items.Count; i++)
        {
            _values[ConfigurationPath.Combine(key, i.ToString(System.Globalization.CultureInfo.InvariantCulture))] = items[i];
        }
    }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new Provider(_values, _lists);

    private sealed class Provider : ConfigurationProvider
    {
        private readonly List<string> _lists;

        public Provider(Dictionary<string, string?> values, List<string> lists)
        {
            Data = new Dictionary<string, string?>(values, StringComparer.OrdinalIgnoreCase);
            _lists = lists;
        }

        /// <summary>Below a list this source sets, only its own entries: the file's are hidden, not merged.</summary>
        public override IEnumerable<string> GetChildKeys(IEnumerable<string> earlierKeys, string? parentPath) =>
            base.GetChildKeys(parentPath is not null && _lists.Exists(list => IsAtOrBelow(parentPath, list)) ? [] : earlierKeys, parentPath);

        private static bool IsAtOrBelow(string path, string list) =>
            path.Equals(list, StringComparison.OrdinalIgnoreCase)
            || path.StartsWith(list + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase);
    }
}
