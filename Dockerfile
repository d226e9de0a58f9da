# Stakeholder Voice: one image for the web processes and the one-off jobs (migrate, backup, reminders).
FROM python:3.11-slim-bookworm

# Pango for WeasyPrint's PDFs; the PostgreSQL client for `flask backup` / `flask restore`.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
      postgresql-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /srv/voice
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY app app
COPY migrations migrations
COPY config.py wsgi.py gunicorn.conf.py ./

RUN useradd --system --home /srv/voice voice && mkdir -p instance && chown voice instance
USER voice
ENV FLASK_APP=app PYTHONUNBUFFERED=1
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status != 200)"
CMD ["gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
