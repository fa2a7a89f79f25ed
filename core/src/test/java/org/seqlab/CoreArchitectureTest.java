package org.seqlab;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's packages tell the story of the data flow; these rules keep it one-way, and keep
 * everything above the library (the engine, the Spark side, the faces) out of it.
 */
class CoreArchitectureTest {
  private static JavaClasses classes;

  /** Everything above the library. */
  static final String[] ABOVE = {
    "org.seqlab.experiments..",
    "org.seqlab.sweep..",
    "org.seqlab.view..",
    "org.seqlab.lab..",
    "org.seqlab.web..",
    "org.seqlab.cli.."
  };

  @BeforeAll
  static void importClasses() {
    classes =
        new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.seqlab");
  }

  @Test
  void kernelsDependOnNoOtherPackage() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.tensor..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.nn..",
            "org.seqlab.train..",
            "org.seqlab.tasks..",
            "org.seqlab.probe..",
            "org.seqlab.io..")
        .check(classes);
  }

  @Test
  void layersNeverReachTheSurface() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.nn..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "org.seqlab.train..", "org.seqlab.tasks..", "org.seqlab.probe..", "org.seqlab.io..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.train..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.probe..", "org.seqlab.io..")
        .check(classes);
  }

  @Test
  void tasksOnlyMakeData() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.tasks..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.train..", "org.seqlab.probe..", "org.seqlab.io..")
        .check(classes);
  }

  @Test
  void theEngineKnowsNothingOfFilesOrViews() {
    // The training engine reports to listeners; writing run directories and drawing is theirs.
    noClasses()
        .that()
        .resideInAnyPackage("org.seqlab.train..", "org.seqlab.nn..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("com.fasterxml..", "org.knowm..")
        .check(classes);
  }

  @Test
  void probesAndFilesOnlyRead() {
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.probe..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.train..", "org.seqlab.tasks..", "org.seqlab.io..")
        .check(classes);
    noClasses()
        .that()
        .resideInAPackage("org.seqlab.io..")
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage("org.seqlab.tasks..", "org.seqlab.probe..")
        .check(classes);
  }

  @Test
  void theLibraryKnowsNothingAboveIt() {
    noClasses()
        .should()
        .dependOnClassesThat()
        .resideInAnyPackage(ABOVE)
        .orShould()
        .dependOnClassesThat()
        .resideInAnyPackage(
            "picocli..", "io.helidon..", "org.knowm..", "org.apache.spark..", "scala..")
        .check(classes);
  }

  @Test
  void noPackageCycles() {
    slices().matching("org.seqlab.(*)..").should().beFreeOfCycles().check(classes);
  }
}
