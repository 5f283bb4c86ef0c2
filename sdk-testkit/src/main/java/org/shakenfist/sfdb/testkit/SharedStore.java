package org.shakenfist.sfdb.testkit;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListSet;
import org.shakenfist.sfdb.proto.NodeStaticData;

/**
 * The data behind a fake tier: one store shared by every instance, like the one MariaDB behind the real
 * gateways, so a write through instance A is read through instance B. Thread-safe.
 *
 * <pre>{@code
 * tier.store().putClusterConfig("network_node_ip", "\"10.0.0.1\"");
 * }</pre>
 */
public final class SharedStore implements GatewayStore {
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

  @Override
  public void putClusterConfig(String key, String valueJson) {
    clusterConfig.put(key, valueJson);
  }

  @Override
  public Map<String, String> clusterConfig() {
    return new TreeMap<>(clusterConfig);
  }

  @Override
  public void setObjectState(int objectType, String uuid, ObjectState state) {
    objects.put(objectType + "/" + uuid, state);
  }

  @Override
  public Optional<ObjectState> objectState(int objectType, String uuid) {
    return Optional.ofNullable(objects.get(objectType + "/" + uuid));
  }

  @Override
  public void putNode(NodeStaticData node) {
    nodes.put(node.getUuid(), node);
  }

  @Override
  public Optional<NodeStaticData> node(String uuid) {
    return Optional.ofNullable(nodes.get(uuid));
  }

  @Override
  public void addNamespace(String namespace) {
    namespaces.add(namespace);
  }

  @Override
  public List<String> namespaces() {
    return List.copyOf(namespaces);
  }
}
