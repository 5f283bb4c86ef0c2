package org.shakenfist.sfdb.client;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Constructor;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The module's API is {@code org.shakenfist.sfdb.client}, the only package {@code module-info} exports (the
 * balancing step is exported to the testkit's simulator alone): nothing public in the API names an internal type,
 * and the public types of the internal packages are exactly the ones listed (grpc's providers, and what another
 * step's package of the SDK calls; a new one is a decision, made here).
 */
class ApiBoundaryTest {
  private static final String API = "org.shakenfist.sfdb.client.";
  private static final String INTERNAL = API + "internal.";

  private static List<Class<?>> classes() throws Exception {
    Path root = Path.of(DatabaseChannel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    List<Class<?>> out = new ArrayList<>();
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.filter(f -> f.toString().endsWith(".class")).toList()) {
        String name = root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "");
        if (!name.contains("package-info") && !name.equals("module-info")) {
          out.add(Class.forName(name, false, ApiBoundaryTest.class.getClassLoader()));
        }
      }
    }
    return out;
  }

  private static void signature(Executable e, List<Type> types) {
    types.addAll(List.of(e.getGenericParameterTypes()));
    types.addAll(List.of(e.getGenericExceptionTypes()));
  }

  private static boolean visible(int modifiers) {
    return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
  }

  @Test
  void noPublicSignatureOfTheApiNamesAnInternalType() throws Exception {
    List<String> leaks = new ArrayList<>();
    for (Class<?> c : classes()) {
      if (c.getName().startsWith(INTERNAL) || !Modifier.isPublic(c.getModifiers())) {
        continue;
      }
      List<Type> types = new ArrayList<>();
      for (Method m : c.getDeclaredMethods()) {
        if (visible(m.getModifiers()) && !m.isSynthetic()) {
          types.add(m.getGenericReturnType());
          signature(m, types);
        }
      }
      for (Constructor<?> k : c.getDeclaredConstructors()) {
        if (visible(k.getModifiers())) {
          signature(k, types);
        }
      }
      for (Field f : c.getDeclaredFields()) {
        if (visible(f.getModifiers())) {
          types.add(f.getGenericType());
        }
      }
      for (Type t : types) {
        if (t.getTypeName().contains(INTERNAL)) {
          leaks.add(c.getSimpleName() + ": " + t.getTypeName());
        }
      }
    }
    assertEquals(List.of(), leaks, "the API names internal types");
  }

  /** grpc's ServiceLoader providers: public because grpc's registries instantiate them. */
  static final List<String> PROVIDERS = List.of("balance.TierLoadBalancerProvider",
      "resolve.SfdbNameResolverProvider", "resolve.SfdbInProcessNameResolverProvider");

  /** Called across the SDK's step packages; each must be (the check below fails for one that is not). */
  static final List<String> CROSS_PACKAGE = List.of("balance.EndpointStates", "balance.Pick", "balance.ReconnectCap", "balance.TierPolicy",
      "channel.CoarseTimer", "channel.DefaultDeadline", "channel.NettyTransport", "channel.ServiceConfigs", "count.EndpointAccounting",
      "count.SfdbClientInterceptor", "health.HealthChecks", "health.HealthPollingHelper", "health.PollConfig",
      "health.ReadinessProbe", "health.SharedHealthPolls", "resolve.ResolverServiceConfig", "resolve.SfdbNameResolver", "resolve.SfdbTargets");

  private static final JavaClasses SDK = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.shakenfist.sfdb.client");

  @Test
  void theInternalPackagesPublicTypesAreTheListedOnes() {
    TreeSet<String> found = new TreeSet<>();
    for (JavaClass c : SDK) {
      if (c.getPackageName().startsWith(INTERNAL) && c.getModifiers().contains(JavaModifier.PUBLIC)
          && c.isTopLevelClass()) {
        found.add(c.getName().substring(INTERNAL.length()));
      }
    }
    TreeSet<String> listed = new TreeSet<>(PROVIDERS);
    listed.addAll(CROSS_PACKAGE);
    assertEquals(listed, found, "public types of the internal packages (a new one is a decision, made here)");
  }

  @Test
  void everyListedCrossPackageTypeIsUsedFromAnotherPackageOfTheSdk() {
    List<String> needlesslyPublic = new ArrayList<>();
    for (String name : CROSS_PACKAGE) {
      JavaClass c = SDK.get(INTERNAL + name);
      boolean usedElsewhere = c.getDirectDependenciesToSelf().stream()
          .anyMatch(d -> !d.getOriginClass().getPackageName().equals(c.getPackageName()));
      if (!usedElsewhere) {
        needlesslyPublic.add(name);
      }
    }
    assertEquals(List.of(), needlesslyPublic, "public, but used only inside its own package: make it package-private");
  }

  /** The module descriptor, read from the class file (whether the tests run on the module path or not). */
  @Test
  void theModuleExportsOnlyTheApiAndOpensTheBalancingStepToTheSimulatorAlone() throws Exception {
    Path root = Path.of(DatabaseChannel.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    ModuleDescriptor module;
    try (var in = Files.newInputStream(root.resolve("module-info.class"))) {
      module = ModuleDescriptor.read(in);
    }
    assertEquals("org.shakenfist.sfdb.client", module.name());
    assertEquals(Set.of("org.shakenfist.sfdb.client", "org.shakenfist.sfdb.client.internal.balance -> "
        + "[org.shakenfist.sfdb.testkit]"), module.exports().stream()
            .map(e -> e.source() + (e.isQualified() ? " -> " + e.targets() : "")).collect(Collectors.toSet()));
    assertEquals(Set.of(), module.opens());
    assertEquals(Set.of("io.grpc.LoadBalancerProvider", "io.grpc.NameResolverProvider"),
        module.provides().stream().map(ModuleDescriptor.Provides::service).collect(Collectors.toSet()));
    // what the module provides is what META-INF/services lists for classpath users: the same providers
    for (ModuleDescriptor.Provides p : module.provides()) {
      List<String> listed = Files.readAllLines(root.resolve("META-INF/services/" + p.service())).stream()
          .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
      assertEquals(new TreeSet<>(p.providers()), new TreeSet<>(listed), p.service());
    }
  }

  @Test
  void theInternalPackagesDoNotReachBackIntoTheApiImplementation() {
    // internal code may use the API's value types and config, never the channel factory that builds it
    noClasses().that().resideInAPackage("..client.internal..")
        .should().dependOnClassesThat().haveFullyQualifiedName(API + "DatabaseChannels")
        .check(SDK);
  }
}
