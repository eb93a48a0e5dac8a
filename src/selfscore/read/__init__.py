"""Reading a submitted file: sniffing and safety caps, cell parsing, by defined names, by labels, .xls/.ods."""
