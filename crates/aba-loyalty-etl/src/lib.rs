//! ETL from Odoo to the engine database (DESIGN.md section 4).
