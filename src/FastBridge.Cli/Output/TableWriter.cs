namespace FastBridge.Cli.Output;

/// <summary>Aligned plain-text tables for human output: a header row, then rows; numbers right-aligned.</summary>
internal sealed class TableWriter(params string[] headers)
{
    private readonly List<string[]> _rows = [];

    public TableWriter Row(params object?[] cells)
    {
        var row = new string[headers.Length];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = i < cells.Length ? Format(cells[i]) : "";
        }

        _rows.Add(row);
        return this;
    }

    public int Count => _rows.Count;

    public void WriteTo(TextWriter output)
    {
        int[] widths = new int[headers.Length];
        bool[] numeric = new bool[headers.Length];
        for (int c = 0; c < headers.Length; c++)
        {
            widths[c] = headers[c].Length;
            numeric[c] = _rows.Count > 0;
            foreach (string[] row in _rows)
            {
                widths[c] = Math.Max(widths[c], row[c].Length);
                numeric[c] &= row[c].Length == 0 || long.TryParse(row[c].Replace(",", "", StringComparison.Ordinal), out _);
            }
        }

        WriteRow(output, headers, widths, numeric);
        foreach (string[] row in _rows)
        {
            WriteRow(output, row, widths, numeric);
        }
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths, bool[] numeric)
    {
        var line = new System.Text.StringBuilder();
        for (int c = 0; c < cells.Length; c++)
        {
            if (c > 0)
            {
                line.Append("  ");
            }

            line.Append(numeric[c] ? cells[c].PadLeft(widths[c]) : cells[c].PadRight(widths[c]));
        }

        output.WriteLine(line.ToString().TrimEnd());
    }

    private static string Format(object? cell) => cell switch
    {
        null => "",
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        int i => i.ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => Convert.ToString(cell, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };
}
