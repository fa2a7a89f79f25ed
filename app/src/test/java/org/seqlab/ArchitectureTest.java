package org.seqlab;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The faces (command line, web lab, plots) over the engine: every module's classes, as this one's
 * class path holds them (the library, the engine and the Spark side too), checked one-way. Each
 * module below checks its own rules as well.
 */
class ArchitectureTest {
  private static JavaClasses classes;

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            // the sweep module's test jar (the loopback cluster) is a test harness too
            .withImportOption(location -> !location.contains("-tests.jar"))
            .importPackages("org.seqlab");
  }

  @Test
  void belowTheFacesNothingKnowsThem() {
    noClasses()
        .that()
        .resideInAnyPackage(
            "org.seqlab.tensor..",
            "org.seqlab.nn..",
            "org.seqlab.train..",
            "org.seqlab.tasks..",
            "org.seqlab.probe..",
            "org.seqlab.io..",
            "org.seqlab.experiments..",
            "org.seqlab.sweep..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.cli..", "org.seqlab.web..", "org.seqlab.lab..", "org.seqlab.view..")
        .check(classes);
  }

  @Test
  void onlyTheCommandLineKnowsTheCommandLine() {
    noClasses()
        .that()
        .resideOutsideOfPackage("org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.seqlab.cli..")
        .check(classes);
    noClasses()
        .that()
        .resideOutsideOfPackage("org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("picocli..")
        .check(classes);
  }

  @Test
  void theCommandLineReachesTheLabOnlyToStartIt() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.cli..")
        .and()
        .doNotHaveSimpleName("LabCommand")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.web..", "org.seqlab.lab..")
        .check(classes);
  }

  @Test
  void theLabKnowsNoServerAndTheViewsNoFace() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.lab..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.web..", "io.helidon..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.view..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.web..", "org.seqlab.lab..", "io.helidon..")
        .check(classes);
  }

  @Test
  void eachLibraryInItsPlace() {
    // the HTTP server in web, the plots' library in view, Spark on the sweep's side and in the
    // command that starts it
    noClasses()
        .that()
        .resideOutsideOfPackage("org.seqlab.web..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("io.helidon..")
        .check(classes);
    noClasses()
        .that()
        .resideOutsideOfPackage("org.seqlab.view..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage("org.knowm..")
        .check(classes);
    noClasses()
        .that()
        .resideOutsideOfPackages("org.seqlab.sweep..", "org.seqlab.cli..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.apache.spark..", "scala..")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("org.seqlab.(*)..").should().beFreeOfCycles().check(classes);
  }
}
