using System.Text;

namespace Neokernel.Tools.OpcUaGen;

/// <summary>One row of a CSV file with its 1-based line number, for error messages.</summary>
internal sealed record CsvRow(int Line, IReadOnlyList<string> Fields);

/// <summary>
/// The CSV dialect of the UA-Nodeset files: comma-separated, a field in double quotes may hold commas
/// and doubled quotes, no header row, blank lines ignored. A row is one line (no field spans lines).
/// </summary>
internal static class CsvFile
{
    public static List<CsvRow> Read(string path, int fieldCount)
    {
        var rows = new List<CsvRow>();
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        for (var i = 0; i < lines.Length; i++)
        {
            if (lines[i].Trim().Length == 0)
            {
                continue;
            }

            var fields = Split(lines[i], path, i + 1);
            if (fields.Count != fieldCount)
            {
                throw new SpecException($"{path}:{i + 1}: expected {fieldCount} fields, found {fields.Count}");
            }

            rows.Add(new CsvRow(i + 1, fields));
        }

        return rows;
    }

    private static List<string> Split(string line, string path, int lineNumber)
    {
        var fields = new List<string>();
        var field = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (quoted)
        {
            throw new SpecException($"{path}:{lineNumber}: a quoted field is not closed");
        }

        fields.Add(field.ToString());
        return fields;
    }
}
