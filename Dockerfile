# One image for all six processes; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app/libs:/app/services/requests:/app/services/inventory:/app/services/approvals

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY gunicorn.conf.py Procfile ./
COPY libs libs
COPY services services

RUN useradd --create-home app
USER app
