// Every command README.md and deploy/README.md show works as written, so that a README edit
// that breaks one breaks the build. Commands are the lines of indented code blocks and of ```
// blocks tagged sh, bash, shell or nothing (a block tagged otherwise, e.g. ```text, shows
// output), and inline code spans whose first word is a script (*.sh), docker or kubectl. Each
// runs with nothing beyond loopback: what the command names off this machine is swapped for a
// local stand-in, and nothing else is changed.
// - scripts/run.sh and casserole start the built binary (run.sh with --binary), --address and
//   --admin-address moved to free loopback ports and --mirror-url to a local nginx with the same
//   path; an object is fetched through the node, and its admin listener must say it is ready.
//   Without --mirror-url the node mirrors its default, where nothing listens here: it must start
//   and answer.
// - scripts/cluster.sh starts for real with --binary, a private --dir and the local origin (with
//   only --dry-run when etcd is missing); an object is fetched through every node, then SIGTERM
//   must stop all it started.
// - Any script given --help prints its usage. scripts/demo.sh is given its options and --help,
//   which parses them all and starts nothing; DemoScript runs the demo itself end to end.
// Checked more lightly, since they cannot run here:
// - bench/run.sh (minutes): it is executable and casserole_bench --help lists its options.
// - scripts/test.sh (the whole suite), scripts/build.sh and scripts/setup.sh (they build in
//   build/ and install packages), and the scripts of deploy/ (they run in the image; the
//   Healthcheck and Entrypoint tests run them): they are executable and bash parses them.
// - docker compose -f FILE ... --scale SERVICE=N: FILE exists and has SERVICE.
// - kubectl apply -k DIR: DIR has a kustomization.yaml.
// An inline code span that names a file of the checkout (deploy/Dockerfile) must name one that
// exists, and README.md's table of options must say what `casserole --help` says.
#include <gtest/gtest.h>
#include <unistd.h>

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <utility>

#include "deploy/deploy_files.hpp"
#include "deploy/script_runs.hpp"
#include "support/http_client.hpp"
#include "support/nginx_origin.hpp"
#include "support/ports.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace casserole::test::deploy {
namespace {

using namespace std::chrono_literals;

constexpr const char* kReadmes[] = {"README.md", "deploy/README.md"};

struct Command {
  std::string file;
  std::string text;
};

bool blank(const std::string& line) {
  return line.find_first_not_of(' ') == std::string::npos;
}

std::string trimmed(const std::string& text) {
  const auto first = text.find_first_not_of(' ');
  return first == std::string::npos ? ""
                                    : text.substr(first, text.find_last_not_of(' ') + 1 - first);
}

// The words of `command` as the shell splits them, without expanding globs.
std::vector<std::string> words(const std::string& command) {
  const auto [exit_code, output] = run_shell("set -f; printf '%s\\n' " + command);
  if (exit_code != 0) throw std::runtime_error("bash cannot split: " + command + "\n" + output);
  std::vector<std::string> result;
  std::istringstream lines(output);
  for (std::string line; std::getline(lines, line);) result.push_back(line);
  return result;
}

// The code blocks' commands of a markdown file, and the rest of its text (paragraphs joined
// into one line each, where inline code spans may cross line breaks).
struct Markdown {
  std::vector<std::string> block_commands;
  std::string prose;
};

Markdown read_markdown(const std::string& file) {
  Markdown markdown;
  std::istringstream lines(read_text(source_path(file)));
  bool in_fence = false, fence_has_commands = false, in_indented = false, previous_blank = true;
  std::string continued;  // a command whose line ended with a backslash
  const auto add = [&](const std::string& line) {
    std::string command = continued + trimmed(line);
    continued.clear();
    if (command.ends_with('\\')) {
      continued = command.substr(0, command.size() - 1);
    } else if (!command.empty()) {
      markdown.block_commands.push_back(command);
    }
  };
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("```")) {
      if (!in_fence) {
        const std::string tag = trimmed(line.substr(3));
        fence_has_commands = tag.empty() || tag == "sh" || tag == "bash" || tag == "shell";
      }
      in_fence = !in_fence;
    } else if (in_fence) {
      if (fence_has_commands) add(line);
    } else if (line.starts_with("    ") && (in_indented || previous_blank)) {
      in_indented = true;
      add(line);
    } else {
      if (!blank(line)) in_indented = false;
      markdown.prose += blank(line) ? "\n" : trimmed(line) + " ";
    }
    previous_blank = blank(line);
  }
  return markdown;
}

std::vector<std::string> inline_code(const std::string& prose) {
  static const std::regex span("`([^`]+)`");
  std::vector<std::string> spans;
  for (std::sregex_iterator it(prose.begin(), prose.end(), span), end; it != end; ++it) {
    spans.push_back((*it)[1]);
  }
  return spans;
}

bool inline_command(const std::string& span) {
  const std::string first = span.substr(0, span.find(' '));
  return first.ends_with(".sh") || first == "docker" || first == "kubectl";
}

std::vector<Command> readme_commands() {
  std::vector<Command> commands;
  std::set<std::string> seen;
  for (const char* file : kReadmes) {
    const Markdown markdown = read_markdown(file);
    std::vector<std::string> texts = markdown.block_commands;
    for (const auto& span : inline_code(markdown.prose)) {
      if (inline_command(span)) texts.push_back(span);
    }
    for (auto& text : texts) {
      if (seen.insert(text).second) commands.push_back({file, std::move(text)});
    }
  }
  return commands;
}

bool has(const std::vector<std::string>& arguments, std::string_view argument) {
  return std::ranges::find(arguments, argument) != arguments.end();
}

// The value of option `name` in `arguments` ("--name=value" or "--name value"), replaced by
// what `replace` makes of it; false if the option is not there.
bool replace_option(std::vector<std::string>& arguments, const std::string& name,
                    const std::function<std::string(const std::string&)>& replace) {
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    if (arguments[i].starts_with(name + "=")) {
      arguments[i] = name + "=" + replace(arguments[i].substr(name.size() + 1));
      return true;
    }
    if (arguments[i] == name && i + 1 < arguments.size()) {
      arguments[i + 1] = replace(arguments[i + 1]);
      return true;
    }
  }
  return false;
}

// A path under the URL root `url`, without a trailing slash ("" for the host's root).
std::string url_path(const std::string& url) {
  const auto host = url.find("://");
  const auto slash = url.find('/', host == std::string::npos ? 0 : host + 3);
  std::string path = slash == std::string::npos ? "" : url.substr(slash);
  while (path.ends_with('/')) path.pop_back();
  return path;
}

class ReadmeCommands : public ::testing::Test {
 protected:
  static constexpr std::string_view kObject = "/pool/readme-check.bin";
  static constexpr std::string_view kBody = "the bytes of a README check\n";

  // The origin in place of the command's --mirror-url, serving kObject under the URL's path.
  std::string local_origin(const std::string& url) {
    const std::string path = url_path(url);
    const auto file = origin_.docroot() / (path + std::string(kObject)).substr(1);
    std::filesystem::create_directories(file.parent_path());
    std::ofstream(file) << kBody;
    return origin_.url() + path;
  }

  // The command's options with the local origin, or nullopt if they name no upstream.
  std::optional<std::string> with_local_origin(std::vector<std::string>& arguments) {
    std::optional<std::string> origin;
    replace_option(arguments, "--mirror-url", [&](const std::string& url) {
      origin = local_origin(url);
      return *origin;
    });
    return origin;
  }

  Process run(std::vector<std::string> argv) {
    const auto n = std::to_string(++runs_);
    std::filesystem::create_directories(dir_.path() / n);
    return Process(std::move(argv), dir_.path() / (n + ".out"), {}, dir_.path() / n);
  }

  void expect_usage(const std::vector<std::string>& argv) {
    Process process = run(argv);
    EXPECT_EQ(process.wait_exit(30s), 0) << process.log();
    EXPECT_NE(process.log().find("Usage"), std::string::npos) << process.log();
  }

  // `program` followed by node options, run as a node on a free loopback port.
  void check_node(std::vector<std::string> argv, std::size_t first_option) {
    std::vector<std::string> options(argv.begin() + first_option, argv.end());
    argv.resize(first_option);
    const auto origin = with_local_origin(options);
    const std::uint16_t port = free_port();
    const std::uint16_t admin_port = free_port();
    for (const auto& [option, listener] :
         {std::pair{"--address", port}, std::pair{"--admin-address", admin_port}}) {
      const std::string address = "127.0.0.1:" + std::to_string(listener);
      if (!replace_option(options, option, [&](const std::string&) { return address; })) {
        options.push_back(std::string(option) + "=" + address);
      }
    }
    argv.insert(argv.end(), options.begin(), options.end());
    Process node = run(argv);
    ASSERT_TRUE(node.wait_until_listening(port, 30s)) << node.log();
    const auto response =
        http_get("http://127.0.0.1:" + std::to_string(port) + std::string(kObject));
    if (origin) {
      EXPECT_EQ(response.status, 200) << node.log();
      EXPECT_EQ(response.body, kBody);
    } else {
      EXPECT_NE(response.status, 0) << response.error << "\n" << node.log();
    }
    const auto ready = http_get("http://127.0.0.1:" + std::to_string(admin_port) + "/readyz");
    EXPECT_EQ(ready.status, 200) << ready.body << "\n" << node.log();
    ASSERT_EQ(::kill(node.pid(), SIGTERM), 0);
    EXPECT_EQ(node.wait_exit(30s), 0) << node.log();
  }

  void check_cluster(std::vector<std::string> argv) {
    argv.insert(argv.begin() + 1, {std::string("--binary=") + CASSEROLE_BINARY,
                                   "--dir=" + (dir_.path() / "cluster").string()});
    const bool local = with_local_origin(argv).has_value();
    if (run_shell("command -v etcd").first != 0) {
      argv.push_back("--dry-run");
      Process script = run(argv);
      EXPECT_EQ(script.wait_exit(30s), 0) << script.log();
      return;
    }
    Process script = run(argv);
    ASSERT_TRUE(wait_for_output(script, "Ctrl-C stops the cluster", 60s)) << script.log();
    const auto processes = started(script.log());
    for (const auto& process : processes) {
      if (process.name == "etcd") continue;
      const auto response = http_get(process.url + std::string(kObject));
      if (local) {
        EXPECT_EQ(response.status, 200) << process.name << "\n" << script.log();
        EXPECT_EQ(response.body, kBody) << process.name;
      } else {
        EXPECT_NE(response.status, 0) << process.name << ": " << response.error;
      }
    }
    ASSERT_EQ(::kill(script.pid(), SIGTERM), 0);
    EXPECT_EQ(script.wait_exit(30s), 0) << script.log();
    for (const auto& process : processes) {
      EXPECT_FALSE(alive(process.pid)) << process.name << " outlived scripts/cluster.sh";
    }
  }

  static void expect_runnable_script(const std::string& script) {
    const auto path = source_path(script);
    EXPECT_EQ(::access(path.c_str(), X_OK), 0) << script << " is not executable";
    const auto [exit_code, output] = run_shell("bash -n '" + path.string() + "'");
    EXPECT_EQ(exit_code, 0) << output;
  }

  static void check_bench(const std::vector<std::string>& argv) {
    expect_runnable_script(argv[0]);
    const auto [exit_code, usage] = run_shell(std::string(CASSEROLE_BENCH) + " --help");
    EXPECT_EQ(exit_code, 0) << usage;
    for (std::size_t i = 1; i < argv.size(); ++i) {
      const std::string flag = argv[i].substr(0, argv[i].find('='));
      EXPECT_TRUE(std::regex_search(usage, std::regex(flag + "(?![\\w-])")))
          << flag << " is not in casserole_bench --help";
    }
  }

  static void check_docker(const std::vector<std::string>& argv) {
    ASSERT_TRUE(argv.size() > 3 && argv[1] == "compose" && argv[2] == "-f")
        << "only `docker compose -f FILE ...` is known here";
    EXPECT_TRUE(std::filesystem::is_regular_file(source_path(argv[3]))) << argv[3];
    const auto scale = std::ranges::find(argv, "--scale");
    if (scale != argv.end() && scale + 1 != argv.end()) {
      const std::string service = scale[1].substr(0, scale[1].find('='));
      EXPECT_TRUE(compose()["services"][service].IsMap()) << "no service " << service;
    }
  }

  static void check_kubectl(const std::vector<std::string>& argv) {
    ASSERT_TRUE(argv.size() == 4 && argv[1] == "apply" && argv[2] == "-k")
        << "only `kubectl apply -k DIR` is known here";
    EXPECT_TRUE(std::filesystem::is_regular_file(source_path(argv[3]) / "kustomization.yaml"));
  }

  void check(const std::vector<std::string>& written) {
    const std::string& program = written.front();
    std::vector<std::string> argv = written;
    if (program.ends_with(".sh")) argv[0] = source_path(program).string();
    const bool help = has(written, "--help") || has(written, "-h");
    if (program == "scripts/run.sh") {
      argv.insert(argv.begin() + 1, std::string("--binary=") + CASSEROLE_BINARY);
      if (help) return expect_usage(argv);
      return check_node(argv, 2);
    }
    if (program == "casserole") {
      argv[0] = CASSEROLE_BINARY;
      return check_node(argv, 1);
    }
    if (program == "scripts/cluster.sh") return help ? expect_usage(argv) : check_cluster(argv);
    if (program == "scripts/demo.sh") {
      argv.push_back("--help");
      return expect_usage(argv);
    }
    if (program == "bench/run.sh") return check_bench(written);
    if (program == "scripts/test.sh" || program == "scripts/build.sh" ||
        program == "scripts/setup.sh" || program.starts_with("deploy/")) {
      return expect_runnable_script(program);
    }
    if (program == "docker") return check_docker(written);
    if (program == "kubectl") return check_kubectl(written);
    ADD_FAILURE() << "this test does not know how to check " << program;
  }

  TempDir dir_;
  NginxOrigin origin_;
  int runs_ = 0;
};

TEST_F(ReadmeCommands, Work) {
  const auto commands = readme_commands();
  for (const auto& command : commands) {
    SCOPED_TRACE(command.file + ": `" + command.text + "`");
    check(words(command.text));
  }
  // What the READMEs show today, so that a parser that finds nothing does not pass.
  for (const std::string expected :
       {"scripts/demo.sh", "scripts/run.sh", "scripts/cluster.sh --nodes 3", "casserole",
        "bench/run.sh", "scripts/test.sh", "docker compose", "kubectl apply"}) {
    EXPECT_TRUE(std::ranges::any_of(
        commands, [&](const Command& command) { return command.text.starts_with(expected); }))
        << "no command starting with " << expected << " found in the READMEs";
  }
}

TEST(ReadmeFiles, Exist) {
  static const std::regex path(R"([\w.-]+(/[\w.-]+)+/?)");
  for (const char* file : kReadmes) {
    for (const auto& span : inline_code(read_markdown(file).prose)) {
      if (!std::regex_match(span, path)) continue;
      const std::string top = span.substr(0, span.find('/'));
      if (top == "build" || top == "." || top == ".." ||
          !std::filesystem::is_directory(source_path(top))) {
        continue;
      }
      EXPECT_TRUE(std::filesystem::exists(source_path(span))) << file << " names " << span;
    }
  }
}

TEST(ReadmeFiles, OptionsTableSaysWhatHelpSays) {
  // "  --max-memory-usage=SIZE  (CASSEROLE_MAX_MEMORY_USAGE, default 100M)"
  static const std::regex help_line(
      R"(^  --([a-z0-9-]+)\S*\s+\((CASSEROLE_[A-Z0-9_]+), default (.*)\)$)");
  // "| `--address=HOST:PORT` | `CASSEROLE_ADDRESS` | `localhost:8080` | Address ... |", where a
  // cell may hold an escaped \|.
  static const std::regex row(
      R"(^\| `--([a-z0-9-]+)(?:[^|\\]|\\.)*\| `(CASSEROLE_[A-Z0-9_]+)` \| ((?:[^|\\]|\\.)*) \|)");
  const auto [exit_code, help] = run_shell(std::string(CASSEROLE_BINARY) + " --help");
  ASSERT_EQ(exit_code, 0) << help;
  std::map<std::string, std::pair<std::string, std::string>> options;  // flag: variable, default
  std::istringstream help_lines(help);
  for (std::string line; std::getline(help_lines, line);) {
    std::smatch match;
    if (std::regex_match(line, match, help_line)) options[match[1]] = {match[2], match[3]};
  }
  ASSERT_FALSE(options.empty()) << help;
  std::set<std::string> listed;
  std::istringstream readme(read_text(source_path("README.md")));
  for (std::string line; std::getline(readme, line);) {
    std::smatch match;
    if (!std::regex_search(line, match, row)) continue;
    const std::string flag = match[1];
    listed.insert(flag);
    const auto option = options.find(flag);
    if (option == options.end()) {
      ADD_FAILURE() << "README.md lists --" << flag << ", which casserole --help does not";
      continue;
    }
    const auto& [variable, fallback] = option->second;
    EXPECT_EQ(match[2], variable) << "README.md, --" << flag;
    // The default in code, or "none" followed by what it means.
    const std::string cell = match[3];
    EXPECT_TRUE(cell.starts_with("`" + fallback + "`") ||
                (fallback == "none" && cell.starts_with("none")))
        << "README.md, --" << flag << ": default " << cell << ", but --help says " << fallback;
  }
  for (const auto& [flag, option] : options) {
    EXPECT_TRUE(listed.contains(flag)) << "README.md's table of options lacks --" << flag;
  }
}

}  // namespace
}  // namespace casserole::test::deploy
