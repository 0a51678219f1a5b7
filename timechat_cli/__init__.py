"""timechat command line (thin: parses arguments, prints)."""
