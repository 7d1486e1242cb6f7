"""The assembled platform (delivery): the web application with every area's routers, the pages that span
areas (dashboard, station, administration) and the runtime that serves the web app beside the HJ 212
receiver."""
