package org.shakenfist.sfdb.testkit;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import org.shakenfist.sfdb.proto.NodeStaticData;
import org.shakenfist.sfdb.proto.ObjectType;

/**
 * The data behind a fake tier: one store shared by every instance, like the one MariaDB behind the real
 * gateways, so a write through instance A is read through instance B. Thread-safe.
 *
 * <pre>{@code
 * tier.store().putClusterConfig("network_node_ip", "\"10.0.0.1\"");
 * }</pre>
 */
public final class SharedStore {
  /** Stored state of one object. */
  public record ObjectState(String stateValue, double updateTime, String message) {}

  private final Map<String, String> clusterConfig = new ConcurrentHashMap<>();
  private final Map<String, ObjectState> objects = new ConcurrentHashMap<>();
  private final ConcurrentSkipListSet<String> namespaces = new ConcurrentSkipListSet<>();
  private final Map<String, NodeStaticData> nodes = new ConcurrentHashMap<>();

  /** A store seeded with a little cluster config and the {@code system} namespace. */
  public SharedStore() {
    clusterConfig.put("cluster_name", "\"sfdb-testkit\"");
    clusterConfig.put("database_gateway_port", "13005");
    namespaces.add("system");
  }

  public void putClusterConfig(String key, String valueJson) {
    clusterConfig.put(key, valueJson);
  }

  /** Cluster config sorted by key. */
  public Map<String, String> clusterConfig() {
    return new TreeMap<>(clusterConfig);
  }

  public void setObjectState(ObjectType type, String uuid, ObjectState state) {
    setObjectState(type.getNumber(), uuid, state);
  }

  /**
   * Stores a state under the object type's wire number: two types never share a key, even one this build's
   * enum does not know (a request carrying it parses as {@code UNRECOGNIZED} with its number kept).
   */
  public void setObjectState(int objectType, String uuid, ObjectState state) {
    objects.put(objectType + "/" + uuid, state);
  }

  public Optional<ObjectState> objectState(ObjectType type, String uuid) {
    return objectState(type.getNumber(), uuid);
  }

  /** The state stored under the object type's wire number. */
  public Optional<ObjectState> objectState(int objectType, String uuid) {
    return Optional.ofNullable(objects.get(objectType + "/" + uuid));
  }

  /** Adds or replaces a node's static data (what {@code GetNode} answers). */
  public void putNode(NodeStaticData node) {
    nodes.put(node.getUuid(), node);
  }

  public Optional<NodeStaticData> node(String uuid) {
    return Optional.ofNullable(nodes.get(uuid));
  }

  public void addNamespace(String namespace) {
    namespaces.add(namespace);
  }

  /** Namespace names, sorted (what {@code GetAllNamespaceNames} answers). */
  public List<String> namespaces() {
    return List.copyOf(namespaces);
  }
}
