"""Print forms (帳票): an Excel file a manager made, with placeholders such as {{品名}} in its
cells, filled with one record or a list of records (`xlsx`), and turned into PDF on the server by
LibreOffice headless (`pdf`). Nothing here knows Django models: the callers hand in the values
as the reader may see them."""
