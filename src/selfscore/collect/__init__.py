"""Collections: a reviewer gathers a year's workbooks from every unit, stored in a relational database."""
