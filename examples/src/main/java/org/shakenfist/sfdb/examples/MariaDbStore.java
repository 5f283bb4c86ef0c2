package org.shakenfist.sfdb.examples;

import com.google.protobuf.InvalidProtocolBufferException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import javax.sql.DataSource;
import org.shakenfist.sfdb.proto.NodeStaticData;
import org.shakenfist.sfdb.testkit.GatewayStore;

/**
 * The example gateway's data in MariaDB (tables from {@code db/V*.sql}), shared by every gateway on the same
 * database: a write through one gateway is read through another. A database error becomes
 * {@link GatewayStore.Unavailable}, which the gateway answers as the real one does (reads OK and empty, writes
 * {@code success=false}).
 */
final class MariaDbStore implements GatewayStore {
  private final DataSource pool;

  MariaDbStore(DataSource pool) {
    this.pool = pool;
  }

  @FunctionalInterface
  private interface Sql<T> {
    T run(Connection c) throws SQLException;
  }

  private <T> T with(String what, Sql<T> sql) {
    try (Connection c = pool.getConnection()) {
      return sql.run(c);
    } catch (SQLException e) {
      throw new Unavailable(what + ": " + e.getMessage(), e);
    }
  }

  private void update(String what, String statement, Object... args) {
    with(what, c -> {
      try (PreparedStatement s = c.prepareStatement(statement)) {
        for (int i = 0; i < args.length; i++) {
          s.setObject(i + 1, args[i]);
        }
        return s.executeUpdate();
      }
    });
  }

  @Override
  public void putClusterConfig(String key, String valueJson) {
    update("put cluster config " + key, "INSERT INTO cluster_config (key_name, value_json) VALUES (?, ?) "
        + "ON DUPLICATE KEY UPDATE value_json = VALUES(value_json)", key, valueJson);
  }

  @Override
  public Map<String, String> clusterConfig() {
    return with("read cluster config", c -> {
      Map<String, String> out = new TreeMap<>();
      try (PreparedStatement s = c.prepareStatement("SELECT key_name, value_json FROM cluster_config");
          ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.put(r.getString(1), r.getString(2));
        }
      }
      return out;
    });
  }

  @Override
  public void setObjectState(int objectType, String uuid, ObjectState state) {
    update("set object state " + objectType + "/" + uuid, "INSERT INTO object_states (object_type, object_uuid, "
        + "state_value, update_time, message) VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
        + "state_value = VALUES(state_value), update_time = VALUES(update_time), message = VALUES(message)",
        objectType, uuid, state.stateValue(), state.updateTime(), state.message());
  }

  @Override
  public Optional<ObjectState> objectState(int objectType, String uuid) {
    return with("read object state " + objectType + "/" + uuid, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT state_value, update_time, message FROM object_states "
          + "WHERE object_type = ? AND object_uuid = ?")) {
        s.setInt(1, objectType);
        s.setString(2, uuid);
        try (ResultSet r = s.executeQuery()) {
          return r.next() ? Optional.of(new ObjectState(r.getString(1), r.getDouble(2), r.getString(3)))
              : Optional.empty();
        }
      }
    });
  }

  @Override
  public void putNode(NodeStaticData node) {
    update("put node " + node.getUuid(), "INSERT INTO nodes (uuid, static_data) VALUES (?, ?) "
        + "ON DUPLICATE KEY UPDATE static_data = VALUES(static_data)", node.getUuid(), node.toByteArray());
  }

  @Override
  public Optional<NodeStaticData> node(String uuid) {
    return with("read node " + uuid, c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT static_data FROM nodes WHERE uuid = ?")) {
        s.setString(1, uuid);
        try (ResultSet r = s.executeQuery()) {
          if (!r.next()) {
            return Optional.empty();
          }
          try {
            return Optional.of(NodeStaticData.parseFrom(r.getBytes(1)));
          } catch (InvalidProtocolBufferException e) {
            throw new SQLException("node " + uuid + ": stored static data does not parse", e);
          }
        }
      }
    });
  }

  @Override
  public void addNamespace(String namespace) {
    update("add namespace " + namespace, "INSERT IGNORE INTO namespaces (name) VALUES (?)", namespace);
  }

  @Override
  public List<String> namespaces() {
    return with("read namespaces", c -> {
      List<String> out = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT name FROM namespaces ORDER BY name");
          ResultSet r = s.executeQuery()) {
        while (r.next()) {
          out.add(r.getString(1));
        }
      }
      return out;
    });
  }
}
