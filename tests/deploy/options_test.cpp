// Every casserole process the deploy files start is given only options the built binary lists
// in --help, with values it accepts: a renamed or removed option, or a bad default, fails here
// rather than in a container.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "deploy/deploy_files.hpp"

namespace casserole::test::deploy {
namespace {

TEST(DeployFiles, YamlFilesParse) {
  int files = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(source_path("deploy"))) {
    const auto extension = entry.path().extension();
    if (extension != ".yaml" && extension != ".yml") continue;
    ++files;
    try {
      YAML::LoadAllFromFile(entry.path().string());
    } catch (const YAML::Exception& error) {
      ADD_FAILURE() << entry.path().lexically_relative(source_path("")).string() << ": "
                    << error.what();
    }
  }
  EXPECT_GT(files, 0) << "no YAML files under deploy/";
}

TEST(DeployFiles, StartNodes) {
  EXPECT_FALSE(compose_node_services().empty())
      << "deploy/compose.yaml: no service is built from deploy/Dockerfile's last stage ("
      << node_stage().name << "), so nothing in it is checked";
  EXPECT_FALSE(kubernetes_node_containers().empty())
      << "deploy/k8s: no container runs the image \"casserole\", so nothing in it is checked";
}

TEST(Options, FlagsAreCasseroleOptions) {
  const auto& known = known_options();
  for (const auto& setup : all_setups()) {
    for (const auto& argument : setup.arguments) {
      if (!argument.starts_with("--")) continue;
      const std::string name = argument.substr(2, argument.find('=') - 2);
      EXPECT_TRUE(known.flags.contains(name))
          << setup.where << ": --" << name << " is not an option of casserole (see --help)";
    }
  }
}

TEST(Options, VariablesAreCasseroleOptions) {
  const auto& known = known_options();
  for (const auto& setup : all_setups()) {
    for (const auto& [name, value] : setup.environment) {
      EXPECT_TRUE(!name.starts_with("CASSEROLE_") || known.variables.contains(name))
          << setup.where << ": " << name << " is not a variable of casserole (see --help)";
    }
  }
  for (const auto& [script, name] : deploy_script_variables()) {
    EXPECT_TRUE(known.variables.contains(name))
        << script << ": " << name << " is not a variable of casserole (see --help)";
  }
}

TEST(Options, ValuesAreAccepted) {
  for (const auto& setup : all_setups()) {
    const auto parsed = effective_config(setup);
    EXPECT_TRUE(parsed.config) << setup.where << ": " << parsed.err;
  }
}

}  // namespace
}  // namespace casserole::test::deploy
