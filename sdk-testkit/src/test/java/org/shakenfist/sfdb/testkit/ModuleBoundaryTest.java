package org.shakenfist.sfdb.testkit;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;
import org.shakenfist.sfdb.client.internal.balance.ReconnectCap;
import org.shakenfist.sfdb.client.internal.balance.TierLoadBalancerProvider;
import org.shakenfist.sfdb.client.internal.balance.TierPolicy;

/**
 * sdk-core exports only its API package: the testkit uses nothing else of it, except the simulator, which by
 * design drives the SDK's own balancing objects (the policy provider and the policy it reads), and nothing more.
 */
class ModuleBoundaryTest {
  private static final JavaClasses TESTKIT = new ClassFileImporter()
      .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.shakenfist.sfdb.testkit");

  @Test
  void theTestkitUsesOnlyTheSdkApiOutsideTheSimulator() {
    noClasses().that().resideOutsideOfPackage("org.shakenfist.sfdb.testkit.sim..")
        .should().dependOnClassesThat().resideInAPackage("org.shakenfist.sfdb.client.internal..")
        .check(TESTKIT);
  }

  /** The policy as a channel builds it, and the channel's reconnect-cap schedule, which the simulator replays. */
  @Test
  void theSimulatorReachesTheSdkOnlyThroughThePolicyProviderItsPolicyAndTheReconnectCap() {
    noClasses().that().resideInAPackage("org.shakenfist.sfdb.testkit.sim..")
        .should().dependOnClassesThat(resideInAPackage("org.shakenfist.sfdb.client.internal..")
            .and(not(belongToAnyOf(TierLoadBalancerProvider.class, TierPolicy.class, ReconnectCap.class))))
        .check(TESTKIT);
  }
}
