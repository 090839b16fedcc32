using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Neokernel.Kernel.Services;

namespace Neokernel.Kernel.Manifests;

/// <summary>
/// The JSON Schema of each program's parameters, from the programs' own declarations: one
/// <c>if program.type is X then program.parameters is ...</c> per program, for the root
/// <c>allOf</c> of <c>service.schema.json</c>. Editors then complete and check parameters as
/// <c>validate</c> does; a test keeps the file equal to what this writes.
/// </summary>
public static class ProgramSchema
{
    /// <summary>The <c>allOf</c> array, indented as the schema file is.</summary>
    public static string AllOf(ProgramCatalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartArray();
            foreach (var program in catalog.All)
            {
                WriteProgram(json, program);
            }

            json.WriteEndArray();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteProgram(Utf8JsonWriter json, ProgramDescriptor program)
    {
        json.WriteStartObject();
        json.WriteStartObject("if");
        json.WriteStartObject("properties");
        json.WriteStartObject("program");
        json.WriteStartObject("properties");
        json.WriteStartObject("type");
        json.WriteString("const", program.Type);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("then");
        json.WriteStartObject("properties");
        json.WriteStartObject("program");
        json.WriteStartObject("properties");
        json.WriteStartObject("parameters");
        WriteParameters(json, program);
        json.WriteEndObject();
        if (program.Tables.Count > 0)
        {
            json.WriteStartObject("tables");
            WriteTables(json, program);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        WriteRequiredParameters(json, program);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteEndObject();
    }

    private static void WriteParameters(Utf8JsonWriter json, ProgramDescriptor program)
    {
        json.WriteString("description", $"Parameters of {program.Type}: {program.Description}.");
        WriteValues(json, program.Parameters);
    }

    /// <summary>Each table an array of rows; each row's columns as parameters are written.</summary>
    private static void WriteTables(Utf8JsonWriter json, ProgramDescriptor program)
    {
        json.WriteString("description", $"Tables of {program.Type}.");
        json.WriteBoolean("additionalProperties", false);
        json.WriteStartObject("properties");
        foreach (var table in program.Tables)
        {
            json.WriteStartObject(table.Name);
            json.WriteString("type", "array");
            json.WriteString("description", table.Description);
            json.WriteNumber("minItems", table.RowsMin);
            json.WriteNumber("maxItems", table.RowsAllowed);
            json.WriteStartObject("items");
            json.WriteString("type", "object");
            WriteValues(json, table.Columns, table.OtherColumns);
            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndObject();
        var required = program.Tables.Where(t => t.RowsMin > 0).ToList();
        if (required.Count > 0)
        {
            json.WriteStartArray("required");
            foreach (var table in required)
            {
                json.WriteStringValue(table.Name);
            }

            json.WriteEndArray();
        }
    }

    /// <summary>The declared values; <paramref name="otherNames"/> allows other names with scalar values (a table whose program checks its other columns).</summary>
    private static void WriteValues(Utf8JsonWriter json, IReadOnlyList<ParameterDeclaration> declarations, bool otherNames = false)
    {
        if (otherNames)
        {
            json.WriteStartObject("additionalProperties");
            json.WriteStartArray("type");
            json.WriteStringValue("string");
            json.WriteStringValue("number");
            json.WriteStringValue("boolean");
            json.WriteEndArray();
            json.WriteEndObject();
        }
        else
        {
            json.WriteBoolean("additionalProperties", false);
        }

        json.WriteStartObject("properties");
        foreach (var parameter in declarations)
        {
            json.WriteStartObject(parameter.Name);
            json.WriteString("type", parameter.TypeWord);
            json.WriteString("description", parameter.Unit is null ? parameter.Description : $"{parameter.Description} ({parameter.Unit})");
            WriteBounds(json, parameter);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        var required = declarations.Where(p => p.Required).ToList();
        if (required.Count > 0)
        {
            json.WriteStartArray("required");
            foreach (var parameter in required)
            {
                json.WriteStringValue(parameter.Name);
            }

            json.WriteEndArray();
        }
    }

    /// <summary>A program with required parameters needs its parameters mapping; one with a required table, its tables mapping.</summary>
    private static void WriteRequiredParameters(Utf8JsonWriter json, ProgramDescriptor program)
    {
        var parameters = program.Parameters.Any(p => p.Required);
        var tables = program.Tables.Any(t => t.RowsMin > 0);
        if (parameters || tables)
        {
            json.WriteStartArray("required");
            if (parameters)
            {
                json.WriteStringValue("parameters");
            }

            if (tables)
            {
                json.WriteStringValue("tables");
            }

            json.WriteEndArray();
        }
    }

    private static void WriteBounds(Utf8JsonWriter json, ParameterDeclaration parameter)
    {
        if (parameter.Min is { } min)
        {
            json.WriteNumber("minimum", min);
        }

        if (parameter.Max is { } max)
        {
            json.WriteNumber("maximum", max);
        }

        if (parameter.Default is not { } value)
        {
            return;
        }

        switch (value.Type)
        {
            case ParameterType.Number:
                json.WriteNumber("default", value.Number);
                break;
            case ParameterType.Integer:
                json.WriteNumber("default", value.Integer);
                break;
            case ParameterType.Boolean:
                json.WriteBoolean("default", value.Boolean);
                break;
            default:
                json.WriteString("default", value.Text);
                break;
        }
    }
}
