// deploy/Dockerfile and deploy/entrypoint.sh: known instructions, stages that exist, Debian 12
// everywhere, and an entry point that runs the binary the build stage makes, with the libraries
// it links.
#include <gtest/gtest.h>

#include <algorithm>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "app/option_values.hpp"
#include "deploy/deploy_files.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test::deploy {
namespace {

// "deploy/Dockerfile:LINE: ", to start a message about an instruction.
std::string where(const DockerInstruction& instruction) {
  return "deploy/Dockerfile:" + std::to_string(instruction.line) + ": ";
}

// The stage's RUN instructions, one a line.
std::string run_commands(const DockerStage& stage) {
  std::string commands;
  for (const auto& instruction : stage.instructions) {
    if (instruction.keyword == "RUN") commands += instruction.arguments + "\n";
  }
  return commands;
}

// Every word of the stage's RUN instructions, where its apt-get install lists its packages.
std::set<std::string> run_words(const DockerStage& stage) {
  const auto all = words(run_commands(stage));
  return {all.begin(), all.end()};
}

// The stages that come before `stage` in the file.
std::set<std::string> earlier_stages(const DockerStage& stage) {
  std::set<std::string> names;
  for (const auto& earlier : dockerfile().stages) {
    if (&earlier == &stage) break;
    names.insert(earlier.name);
  }
  return names;
}

// The node stage's copy of the binary from a build stage.
std::optional<DockerCopy> binary_copy() {
  for (auto& copy : copies(node_stage())) {
    if (!copy.from.empty()) return copy;
  }
  return std::nullopt;
}

// The stage the node stage takes the binary from.
const DockerStage* build_stage() {
  const auto copy = binary_copy();
  return copy ? dockerfile().stage(copy->from) : nullptr;
}

// Where the build stage's `cmake -B DIR --target casserole` leaves the binary, inside the
// image: its WORKDIR, DIR, then the binary's place in a build tree (known to CMake).
std::string built_binary(const DockerStage& build) {
  std::string workdir = "/";
  std::string binary;
  static const std::regex configure(R"(cmake\s+[^&;]*?-B\s*(\S+))");
  for (const auto& instruction : build.instructions) {
    if (instruction.keyword == "WORKDIR") workdir = instruction.arguments;
    std::smatch match;
    if (instruction.keyword == "RUN" &&
        std::regex_search(instruction.arguments, match, configure)) {
      const auto in_tree =
          std::filesystem::path(CASSEROLE_BINARY).lexically_relative(CASSEROLE_BUILD_DIR);
      binary = (std::filesystem::path(workdir) / match[1].str() / in_tree).string();
    }
  }
  return binary;
}

TEST(Dockerfile, UsesKnownInstructions) {
  static const std::set<std::string> known = {
      "ADD",   "ARG",     "CMD", "COPY",  "ENTRYPOINT", "ENV",  "EXPOSE", "FROM",   "HEALTHCHECK",
      "LABEL", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"};
  ASSERT_FALSE(dockerfile().stages.empty()) << "deploy/Dockerfile has no FROM";
  for (const auto& stage : dockerfile().stages) {
    for (const auto& instruction : stage.instructions) {
      EXPECT_TRUE(known.contains(instruction.keyword))
          << where(instruction) << "unknown instruction " << instruction.keyword;
    }
  }
}

TEST(Dockerfile, FromNamesAnEarlierStageOrDebian12) {
  for (const auto& stage : dockerfile().stages) {
    const bool debian = stage.base == "debian:12" || stage.base == "debian:12-slim";
    EXPECT_TRUE(debian || earlier_stages(stage).contains(stage.base))
        << "deploy/Dockerfile:" << stage.line << ": FROM " << stage.base
        << " is neither an earlier stage nor debian:12 or debian:12-slim";
  }
}

TEST(Dockerfile, CopyFromNamesAnEarlierStage) {
  for (const auto& stage : dockerfile().stages) {
    for (const auto& copy : copies(stage)) {
      EXPECT_TRUE(copy.from.empty() || earlier_stages(stage).contains(copy.from))
          << "deploy/Dockerfile, stage " << stage.name << ": COPY --from=" << copy.from
          << " names no earlier stage";
    }
  }
}

TEST(Dockerfile, CopiesFilesThatExist) {
  for (const auto& stage : dockerfile().stages) {
    for (const auto& copy : copies(stage)) {
      if (!copy.from.empty()) continue;
      for (const auto& source : copy.sources) {
        EXPECT_TRUE(std::filesystem::exists(source_path(source)))
            << "deploy/Dockerfile, stage " << stage.name << ": COPY " << source
            << " is not in the checkout (the build context is its root)";
      }
    }
  }
}

TEST(Dockerfile, BuildStageBuildsOnlyTheBinary) {
  const DockerStage* build = build_stage();
  ASSERT_NE(build, nullptr) << "deploy/Dockerfile: the last stage copies nothing from a build "
                               "stage";
  EXPECT_TRUE(run_words(*build).contains("-DCASSEROLE_TESTS=OFF"))
      << "deploy/Dockerfile, stage " << build->name << ": configure with -DCASSEROLE_TESTS=OFF";
  EXPECT_TRUE(std::regex_search(read_text(source_path("CMakeLists.txt")),
                                std::regex(R"(option\(CASSEROLE_TESTS\s)")))
      << "CMakeLists.txt no longer has the CASSEROLE_TESTS option deploy/Dockerfile turns off";
  EXPECT_TRUE(std::regex_search(run_commands(*build),
                                std::regex(R"(cmake\s+--build\s+\S+\s+--target\s+casserole\b)")))
      << "deploy/Dockerfile, stage " << build->name << ": build with --target casserole";
}

TEST(Dockerfile, EntrypointRunsTheBuiltBinary) {
  const auto& stage = node_stage();
  std::vector<std::string> entrypoint;
  for (const auto& instruction : stage.instructions) {
    if (instruction.keyword != "ENTRYPOINT") continue;
    EXPECT_TRUE(instruction.arguments.starts_with("["))
        << where(instruction) << "use the exec form, so that SIGTERM reaches casserole";
    entrypoint = words(instruction.arguments);
  }
  ASSERT_EQ(entrypoint.size(), 1u) << "deploy/Dockerfile: the last stage's ENTRYPOINT should be "
                                      "the entry point script alone";

  // The entry point is a script from the checkout, which execs casserole from PATH.
  std::string script;
  for (const auto& copy : copies(stage)) {
    if (copy.destination == entrypoint.front() && copy.from.empty()) script = copy.sources.front();
  }
  ASSERT_FALSE(script.empty()) << "deploy/Dockerfile: nothing is copied to ENTRYPOINT "
                               << entrypoint.front();
  std::smatch exec;
  const std::string text = read_text(source_path(script));
  ASSERT_TRUE(std::regex_search(text, exec, std::regex(R"(\nexec (\S+) "\$@"\n)")))
      << script << ": no `exec PROGRAM \"$@\"` line";

  const auto binary = binary_copy();
  ASSERT_TRUE(binary) << "deploy/Dockerfile: the last stage copies nothing from a build stage";
  const std::filesystem::path destination = binary->destination;
  EXPECT_EQ(destination.filename(), exec[1].str())
      << script << " runs " << exec[1] << " but deploy/Dockerfile installs " << binary->destination;
  EXPECT_TRUE(on_image_path(destination.parent_path()))
      << "deploy/Dockerfile: " << binary->destination << " is not on the image's PATH";
  const DockerStage* build = build_stage();
  ASSERT_NE(build, nullptr) << "deploy/Dockerfile: COPY --from=" << binary->from
                            << " names no stage";
  EXPECT_EQ(binary->sources, std::vector<std::string>{built_binary(*build)})
      << "deploy/Dockerfile: COPY --from=" << binary->from
      << " should copy the binary the build stage's cmake makes";
}

TEST(Dockerfile, BuildStageCopiesWhatItsCMakeReads) {
  // The stage's own configure command, run on a copy of exactly what the stage copies from the
  // checkout: a file CMake needs that the stage leaves out fails here rather than in
  // `docker build`.
  const DockerStage* build = build_stage();
  ASSERT_NE(build, nullptr) << "deploy/Dockerfile: the last stage copies nothing from a build "
                               "stage";
  TempDir context;
  std::filesystem::path workdir = context.path();
  std::filesystem::path configure_dir;
  std::string configure;
  static const std::regex configure_command(R"(cmake\s+[^&;]*-B[^&;]*)");
  for (const auto& instruction : build->instructions) {
    std::smatch match;
    if (instruction.keyword == "WORKDIR") {
      workdir = context.path() / std::filesystem::path(instruction.arguments).relative_path();
      std::filesystem::create_directories(workdir);
    } else if (instruction.keyword == "RUN" &&
               std::regex_search(instruction.arguments, match, configure_command)) {
      configure = match[0];
      configure_dir = workdir;
    }
  }
  for (const auto& copy : copies(*build)) {
    if (!copy.from.empty()) continue;
    const std::filesystem::path destination =
        copy.destination.starts_with('/')
            ? context.path() / std::filesystem::path(copy.destination).relative_path()
            : workdir / copy.destination;
    for (const auto& source : copy.sources) {
      const auto from = source_path(source);
      if (std::filesystem::is_directory(from)) {
        std::filesystem::create_directories(destination);
        std::filesystem::copy(from, destination, std::filesystem::copy_options::recursive);
      } else {
        const bool into = copy.destination.ends_with('/') || copy.sources.size() > 1;
        std::filesystem::create_directories(into ? destination : destination.parent_path());
        std::filesystem::copy(from, into ? destination / from.filename() : destination);
      }
    }
  }
  ASSERT_FALSE(configure.empty()) << "deploy/Dockerfile, stage " << build->name
                                  << ": no RUN configures with cmake -B";
  const auto [exit_code, output] = run_shell("cd '" + configure_dir.string() + "' && " + configure);
  EXPECT_EQ(exit_code, 0) << "deploy/Dockerfile, stage " << build->name << ": `" << configure
                          << "` fails on what the stage copies:\n"
                          << output;
}

TEST(Dockerfile, ExposesTheNodesPorts) {
  const NodeSetup image{
      "deploy/Dockerfile, stage " + node_stage().name, {}, image_environment(), true};
  const auto config = node_config(image);
  std::set<std::string> exposed;
  for (const auto& instruction : node_stage().instructions) {
    if (instruction.keyword != "EXPOSE") continue;
    for (const auto& port : words(instruction.arguments)) {
      exposed.insert(port.substr(0, port.find('/')));
    }
  }
  // The peering listener binds the container's own address, which the entry point sets.
  for (const auto& [listener, host] :
       {std::pair{"client", config.listen_host}, std::pair{"admin", config.admin_host}}) {
    EXPECT_TRUE(wildcard_host(host)) << image.where << ": the " << listener << " listener is on "
                                     << host << ", which nothing outside the container reaches";
  }
  for (const auto& [listener, port] :
       {std::pair{"client", std::to_string(config.listen_port)},
        std::pair{"peering", config.peering_address.substr(config.peering_address.rfind(':') + 1)},
        std::pair{"admin", std::to_string(config.admin_port)}}) {
    EXPECT_TRUE(exposed.contains(port))
        << image.where << ": the " << listener << " port " << port << " is not exposed";
  }
}

TEST(Dockerfile, BuildStageInstallsTheBuildPackagesOfSetup) {
  // scripts/setup.sh lists packages in groups under comments; "# build" is the first.
  const std::string setup = read_text(source_path("scripts/setup.sh"));
  std::smatch group;
  ASSERT_TRUE(std::regex_search(setup, group, std::regex(R"(# build\n([^#]*)#)")))
      << "scripts/setup.sh: no \"# build\" group of packages";
  std::set<std::string> packages;
  std::istringstream split(group[1].str());
  for (std::string package; split >> package;) packages.insert(package);
  packages.erase("ccache");  // speeds up rebuilds; an image is built once

  const DockerStage* build = build_stage();
  ASSERT_NE(build, nullptr) << "deploy/Dockerfile: the last stage copies nothing from a build "
                               "stage";
  const auto installed = run_words(*build);
  for (const auto& package : packages) {
    EXPECT_TRUE(installed.contains(package))
        << "deploy/Dockerfile, stage " << build->name << ": scripts/setup.sh builds with "
        << package << ", which the stage does not install";
  }
}

TEST(Dockerfile, NodeStageInstallsTheLibrariesOfTheBinary) {
#ifdef CASSEROLE_SANITIZED
  GTEST_SKIP() << "a sanitized binary links the sanitizers' runtimes, which the image does not";
#endif
  // What debian:12-slim has already: apt itself needs them.
  static const std::set<std::string> in_base = {"libc6", "libgcc-s1", "libstdc++6"};
  const auto installed = run_words(node_stage());
  const auto [exit_code, libraries] = run_shell(std::string("ldd ") + CASSEROLE_BINARY);
  ASSERT_EQ(exit_code, 0) << libraries;
  static const std::regex linked(R"(=> (/\S+/)?([^/\s]+)/([^/\s]+) \()");
  int found = 0;
  for (std::sregex_iterator it(libraries.begin(), libraries.end(), linked), end; it != end;
       ++it, ++found) {
    // The directory's last part (x86_64-linux-gnu) keeps other architectures' copies out.
    const auto [owner_exit, owner] =
        run_shell("dpkg-query -S '*/" + (*it)[2].str() + "/" + (*it)[3].str() + "'");
    ASSERT_EQ(owner_exit, 0) << "no package ships " << (*it)[3] << ":\n" << owner;
    const std::string package = owner.substr(0, owner.find_first_of(":,"));
    EXPECT_TRUE(in_base.contains(package) || installed.contains(package))
        << "deploy/Dockerfile, stage " << node_stage().name << ": casserole links " << (*it)[3]
        << " from " << package << ", which the stage does not install";
  }
  EXPECT_GT(found, 0) << libraries;
}

std::string variable(const Environment& environment, const std::string& name) {
  const auto it = std::find_if(environment.begin(), environment.end(),
                               [&](const auto& variable) { return variable.first == name; });
  return it == environment.end() ? "(unset)" : it->second;
}

TEST(Entrypoint, DefaultsThePeeringAddressToTheContainerAddress) {
  const auto ipv4 = run_entrypoint({}, {}, "172.18.0.5 ");
  EXPECT_EQ(variable(ipv4.environment, "CASSEROLE_PEERING_ADDRESS"), "http://172.18.0.5:8000");
  const auto ipv6 = run_entrypoint({}, {}, "fd00::5 172.18.0.5");
  const std::string address = variable(ipv6.environment, "CASSEROLE_PEERING_ADDRESS");
  EXPECT_EQ(address, "http://[fd00::5]:8000");
  EXPECT_TRUE(app::parse_http_url(address)) << address << " is not a URL casserole accepts";
}

TEST(Entrypoint, KeepsAGivenPeeringAddressAndTheArguments) {
  const std::vector<std::string> arguments = {"--read-ahead=8", "--passthrough=/a b"};
  const auto start =
      run_entrypoint(arguments, {{"CASSEROLE_PEERING_ADDRESS", "http://node-1:8000"}}, "10.0.0.1");
  EXPECT_EQ(variable(start.environment, "CASSEROLE_PEERING_ADDRESS"), "http://node-1:8000");
  EXPECT_EQ(start.arguments, arguments);
}

}  // namespace
}  // namespace casserole::test::deploy
