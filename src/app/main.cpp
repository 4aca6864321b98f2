// casserole: parse the options, then run a node until told to stop.
#include <exception>
#include <iostream>

#include "app/config.hpp"
#include "app/node.hpp"

int main(int argc, char** argv) {
  casserole::app::ParseResult parsed =
      casserole::app::parse_config(argc, argv, casserole::app::process_environment());
  std::cout << parsed.out;
  std::cerr << parsed.err;
  if (!parsed.config) return parsed.exit_code;
  try {
    casserole::app::run_node(*parsed.config);
  } catch (const std::exception& error) {
    std::cerr << "casserole: " << error.what() << std::endl;
    return 1;
  }
}
