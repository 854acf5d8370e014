using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;

namespace FastBridge.Cli.Configuration;

/// <summary>
/// The config file as a configuration source: Microsoft.Extensions.Configuration.Json loads it (comments and trailing
/// commas allowed), and <see cref="JsonValueMap"/> remembers what configuration forgets, each value's JSON kind and
/// place, so an error can say "must be a whole number (line 3, column 12)" and a port given as <c>1</c> is not taken
/// for a port named "1".
/// </summary>
internal sealed class ConfigFileSource : JsonConfigurationSource
{
    /// <summary>The loaded file's values by configuration key (empty until it is loaded).</summary>
    public JsonValueMap Values { get; private set; } = JsonValueMap.Empty;

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new Provider(this);
    }

    private sealed class Provider(ConfigFileSource source) : JsonConfigurationProvider(source)
    {
        public override void Load(Stream stream)
        {
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            byte[] json = copy.ToArray();
            source.Values = JsonValueMap.Read(json); // first: its errors carry line and column
            base.Load(new MemoryStream(json, writable: false));
        }
    }
}

/// <summary>A config file refused for its form (not JSON, not an object, a member twice); the message is the reason.</summary>
internal sealed class ConfigFileFormException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Each value of a JSON file by its configuration key (<c>ports:1:vlan:access</c>): its JSON kind and where it starts.</summary>
internal sealed class JsonValueMap
{
    public static readonly JsonValueMap Empty = new([]);

    private readonly Dictionary<string, (JsonTokenType Kind, int Offset)> _values = new(StringComparer.OrdinalIgnoreCase);
    private readonly byte[] _json;

    private JsonValueMap(byte[] json) => _json = json;

    /// <summary>The JSON kind of the value at <paramref name="key"/>, or <see cref="JsonTokenType.None"/> when the file has none there.</summary>
    public JsonTokenType KindOf(string key) => _values.TryGetValue(key, out var value) ? value.Kind : JsonTokenType.None;

    /// <summary>" (line L, column C)" for the value at <paramref name="key"/>, or "" when the file has none there.</summary>
    public string Where(string key) => _values.TryGetValue(key, out var value) ? Where(value.Offset) : "";

    private string Where(int offset)
    {
        int lineStart = _json.AsSpan(0, offset).LastIndexOf((byte)'\n') + 1;
        int line = _json.AsSpan(0, lineStart).Count((byte)'\n') + 1;
        return $" (line {line}, column {offset - lineStart + 1})";
    }

    /// <summary>Reads <paramref name="json"/>; throws <see cref="ConfigFileFormException"/> when it is not one well-formed JSON object.</summary>
    public static JsonValueMap Read(byte[] json)
    {
        int bom = json.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        var map = new JsonValueMap(json[bom..]);
        var reader = new Utf8JsonReader(map._json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var open = new List<(string Key, int NextIndex)>(); // the objects and arrays the reader is in; NextIndex -1: an object
        string? member = null;
        try
        {
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        member = reader.GetString();
                        continue;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        open.RemoveAt(open.Count - 1);
                        continue;
                }

                if (open.Count == 0 && reader.TokenType != JsonTokenType.StartObject)
                {
                    throw new ConfigFileFormException("must hold a JSON object");
                }

                string key = "";
                if (open.Count > 0)
                {
                    (string parent, int index) = open[^1];
                    string segment = index < 0 ? member! : index.ToString(CultureInfo.InvariantCulture);
                    open[^1] = (parent, index < 0 ? index : index + 1);
                    key = parent.Length == 0 ? segment : $"{parent}{ConfigurationPath.KeyDelimiter}{segment}";
                    if (!map._values.TryAdd(key, (reader.TokenType, (int)reader.TokenStartIndex)))
                    {
                        throw new ConfigFileFormException($"is not valid: \"{key.Replace(':', '.')}\" is given twice{map.Where((int)reader.TokenStartIndex)}");
                    }
                }

                if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray)
                {
                    open.Add((key, reader.TokenType == JsonTokenType.StartArray ? 0 : -1));
                }
            }
        }
        catch (JsonException e)
        {
            string where = e.LineNumber is long line ? $" (line {line + 1}, column {(e.BytePositionInLine ?? 0) + 1})" : "";
            throw new ConfigFileFormException($"is not valid: not well-formed JSON{where}", e);
        }

        return map;
    }
}
