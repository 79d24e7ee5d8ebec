package dev.weft.example.sqlite;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * A traced service that keeps its stock in SQLite through sqlite-jdbc, as any application would:
 * JDBC and the OpenTelemetry API, and not one line of Weft. Run under the OpenTelemetry Java agent
 * (its JDBC spans, its exporter) and the Weft agent (which stitches sqlite-jdbc's native methods),
 * the native spans recorded inside sqlite-jdbc's JNI code join this service's trace.
 *
 * <p>One request, {@code inventory.report}: it opens the database (sqlite-jdbc loads its native
 * library then, inside the request), stocks it, sums it, and looks up an optional table that does
 * not exist. Prints the report and the request's trace and span ids.
 */
public final class InventoryService {
  private static final String[][] STOCK = {{"bolt", "120"}, {"nut", "300"}, {"washer", "75"}};

  private final Tracer tracer = GlobalOpenTelemetry.getTracer("dev.weft.example.sqlite");

  private InventoryService() {}

  public static void main(String[] args) throws SQLException {
    new InventoryService().report(args.length > 0 ? args[0] : "jdbc:sqlite::memory:");
  }

  @SuppressWarnings("try") // the scope is only closed
  private void report(String url) throws SQLException {
    Span request = tracer.spanBuilder("inventory.report").startSpan();
    try (Scope scope = request.makeCurrent();
        Connection db = DriverManager.getConnection(url)) {
      try (Statement ddl = db.createStatement()) {
        ddl.executeUpdate("CREATE TABLE item (name TEXT PRIMARY KEY, quantity INTEGER NOT NULL)");
      }
      try (PreparedStatement insert = db.prepareStatement("INSERT INTO item VALUES (?, ?)")) {
        for (String[] row : STOCK) {
          insert.setString(1, row[0]);
          insert.setInt(2, Integer.parseInt(row[1]));
          insert.executeUpdate();
        }
      }
      try (Statement query = db.createStatement();
          ResultSet total = query.executeQuery("SELECT count(*), sum(quantity) FROM item")) {
        total.next();
        System.out.println("items=" + total.getLong(1));
        System.out.println("quantity=" + total.getLong(2));
      }
      System.out.println("discontinued=" + discontinued(db));
    } catch (SQLException e) {
      request.recordException(e);
      request.setStatus(StatusCode.ERROR, e.getMessage());
      throw e;
    } finally {
      request.end();
    }
    System.out.println("trace_id=" + request.getSpanContext().getTraceId());
    System.out.println("span_id=" + request.getSpanContext().getSpanId());
  }

  /** The discontinued items, from a table older databases have; this one has none. */
  private static String discontinued(Connection db) {
    try (Statement query = db.createStatement();
        ResultSet rows = query.executeQuery("SELECT count(*) FROM discontinued")) {
      rows.next();
      return Long.toString(rows.getLong(1));
    } catch (SQLException e) {
      return "none (" + e.getMessage() + ")";
    }
  }
}
