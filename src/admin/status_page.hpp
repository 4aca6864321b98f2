// The node's status page (status_page.html, compiled in): one self-contained HTML document that
// reads `status` from the same directory and refreshes itself. Static for the process's life.
#pragma once

#include <string_view>

namespace casserole::admin {

std::string_view status_page_html();

}  // namespace casserole::admin
