using System.Data.Common;
using System.Globalization;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace ActivityLog.EntityFrameworkCore.ChangeCapture;

/// <summary>
/// Inserts activity rows with plain INSERT statements on the context's connection and transaction, for the events
/// that can only be built after the database generated keys (identity columns), from inside the same transaction.
/// </summary>
/// <remarks>
/// Hand-written because EF Core cannot run a second <c>SaveChanges</c> while the first one commits. The statement is
/// generated from the model's mapping (table, schema, column names, and each column's type mapping with its value
/// converter), so a renamed table or column is honoured on every provider.
/// <para>Also inserts outbox delivery rows; properties whose value the database generates (their identity key, the search <c>tsvector</c>) are left out.</para>
/// </remarks>
internal sealed class ActivityRowInserter(IEntityType eventType)
{
    // Rows per statement: 100 rows of 16 columns stay far below every provider's parameter limit.
    private const int RowsPerStatement = 100;

    private readonly IProperty[] _properties = [.. eventType.GetProperties().Where(p => p.ValueGenerated != ValueGenerated.OnAdd && !Search.SearchModel.IsComputed(p))];
    private string? _insertInto;

    public void Insert(DbContext context, IReadOnlyList<object> rows)
    {
        for (int start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var (sql, parameters) = Build(context, rows, start);
            context.Database.ExecuteSqlRaw(sql, parameters);
        }
    }

    public async Task InsertAsync(DbContext context, IReadOnlyList<object> rows, CancellationToken cancellationToken)
    {
        for (int start = 0; start < rows.Count; start += RowsPerStatement)
        {
            var (sql, parameters) = Build(context, rows, start);
            await context.Database.ExecuteSqlRawAsync(sql, parameters, cancellationToken).ConfigureAwait(false);
        }
    }

    private (string Sql, DbParameter[] Parameters) Build(DbContext context, IReadOnlyList<object> rows, int start)
    {
        _insertInto ??= InsertInto(context.GetService<ISqlGenerationHelper>());
        int count = Math.Min(RowsPerStatement, rows.Count - start);
        var parameters = new DbParameter[count * _properties.Length];
        var sql = new StringBuilder(_insertInto);
        using var command = context.Database.GetDbConnection().CreateCommand();
        for (int row = 0; row < count; row++)
        {
            sql.Append(row == 0 ? "(" : ", (");
            for (int column = 0; column < _properties.Length; column++)
            {
                int index = (row * _properties.Length) + column;
                var property = _properties[column];
                object? value = property.GetGetter().GetClrValueUsingContainingEntity(rows[start + row]);
                parameters[index] = property.GetRelationalTypeMapping().CreateParameter(command, "p" + index.ToString(CultureInfo.InvariantCulture), value, property.IsNullable);
                sql.Append(column == 0 ? "{" : ", {").Append(index.ToString(CultureInfo.InvariantCulture)).Append('}');
            }

            sql.Append(')');
        }

        return (sql.ToString(), parameters);
    }

    private string InsertInto(ISqlGenerationHelper sql)
    {
        string table = eventType.GetTableName() ?? throw new InvalidOperationException("The activity log entity is not mapped to a table.");
        var store = StoreObjectIdentifier.Table(table, eventType.GetSchema());
        var columns = string.Join(", ", _properties.Select(p => sql.DelimitIdentifier(p.GetColumnName(store)!)));
        return $"INSERT INTO {sql.DelimitIdentifier(table, eventType.GetSchema())} ({columns}) VALUES ";
    }
}
