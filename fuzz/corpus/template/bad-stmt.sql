{% for x in y %}{% endfor %}
